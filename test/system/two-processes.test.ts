import t from 'tap'
import { fakeJenkins, freshDatabase, get, post } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'

t.test('two server processes on one database: no duplicate, no gap', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const [a, b] = await Promise.all([spawnServer(t, { ...env, DATABASE_URL }), spawnServer(t, { ...env, DATABASE_URL })])
  const call = async (base: string, path: string, body: object) => (await post(base, path, body)).json()
  const { ProductID } = await call(a.url, '/Product/add', { ProductName: 'UShop' })
  const { DevOpsPlanID } = await call(b.url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })
  const n = 80
  const answers = await Promise.all(Array.from({ length: n }, async (_, i) =>
    await call(i % 2 === 0 ? a.url : b.url, '/Build/add', { DevOpsPlanID })))
  t.same(answers.filter((x) => x.ErrorCode !== 1000), [], 'all accepted')
  t.same(answers.map((x) => x.BuildIndex).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i + 1))
  const listed = (await get(b.url, '/Build/list', { DevOpsPlanID, PageSize: 500 })).json()
  t.equal(listed.TotalCount, n)
  t.equal(new Set(listed.BuildList.map((x: { BuildIndex: number }) => x.BuildIndex)).size, n)
})
