import t from 'tap'
import { fakeJenkins, freshDatabase, get, post } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'

t.test('50 concurrent Build/add with one RequestID over two server processes: one build, one trigger', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const [a, b] = await Promise.all([spawnServer(t, { ...env, DATABASE_URL }), spawnServer(t, { ...env, DATABASE_URL })])
  const { ProductID } = (await post(a.url, '/Product/add', { ProductName: 'UShop' })).json()
  const { DevOpsPlanID } = (await post(b.url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })).json()
  const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) =>
    (await post(i % 2 === 0 ? a.url : b.url, '/Build/add', { DevOpsPlanID, RequestID: 'retry-me' })).json()))
  t.same(answers.filter((x) => x.ErrorCode !== 1000 || x.BuildIndex !== 1), [], 'every call answered 1000 with BuildIndex 1')
  t.equal(jenkins.countRequests((r) => r.method === 'POST' && r.path === '/job/Test/buildWithParameters'), 1, 'one trigger')
  t.equal((await get(a.url, '/Build/list', { DevOpsPlanID })).json().TotalCount, 1, 'one build')
  // the next new build gets the next index: the refused duplicates spent none
  t.equal((await post(b.url, '/Build/add', { DevOpsPlanID, RequestID: 'another' })).json().BuildIndex, 2)
})
