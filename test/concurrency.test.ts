import t from 'tap'
import { API_PREFIX } from '../src/app.js'
import { appWithBuilds, fakeJenkins, freshDatabase, get, post } from './helper.js'
import { spawnServer } from './fixtures/server-process.js'

t.test('60 concurrent Build/add on one plan: indexes exactly 1..60', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  const answers = await Promise.all(Array.from({ length: 60 }, async () => (await post(app, '/Build/add', { DevOpsPlanID: planId })).json()))
  t.ok(answers.every((a) => a.ErrorCode === 1000), 'all accepted')
  t.same(answers.map((a) => a.BuildIndex).sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1))
  const triggered = [...jenkins.queue.values()].map((q) => Number(q.params.BuildIndex)).sort((a, b) => a - b)
  t.same(triggered, Array.from({ length: 60 }, (_, i) => i + 1), 'each index was triggered once')
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 60)
})

t.test('two server processes on one database: no duplicate, no gap', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const [a, b] = await Promise.all([spawnServer(t, { ...env, DATABASE_URL }), spawnServer(t, { ...env, DATABASE_URL })])
  const call = async (base: string, path: string, body?: object) => {
    const res = await fetch(base + API_PREFIX + path, body == null
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return await res.json() as Record<string, any>
  }
  const { ProductID } = await call(a.url, '/Product/add', { ProductName: 'UShop' })
  const { DevOpsPlanID } = await call(b.url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })
  const n = 80
  const answers = await Promise.all(Array.from({ length: n }, async (_, i) =>
    await call(i % 2 === 0 ? a.url : b.url, '/Build/add', { DevOpsPlanID })))
  t.same(answers.filter((x) => x.ErrorCode !== 1000), [], 'all accepted')
  t.same(answers.map((x) => x.BuildIndex).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i + 1))
  const listed = await call(b.url, `/Build/list?DevOpsPlanID=${String(DevOpsPlanID)}&PageSize=500`)
  t.equal(listed.TotalCount, n)
  t.equal(new Set(listed.BuildList.map((x: { BuildIndex: number }) => x.BuildIndex)).size, n)
})
