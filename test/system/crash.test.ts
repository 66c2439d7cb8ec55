import t from 'tap'
import { spawnServer } from '../fixtures/server-process.js'
import { buildInfo, DIALECT, fakeJenkins, freshDatabase, get, post, stageList } from '../helper.js'

// kill -9 the server during write load; restart it on the same database: every write that
// was answered 1000 is there, and nothing is half-written.
t.test('kill -9 under write load loses no acknowledged write', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const common = { ...env, DATABASE_URL, RATE_LIMIT_PER_MINUTE: '0', POLL_INTERVAL_MS: '3600000' }
  const first = await spawnServer(t, common)
  const call = async (base: string, path: string, body: object) => (await post(base, path, body)).json()
  const { ProductID } = await call(first.url, '/Product/add', { ProductName: 'UShop' })
  const { DevOpsPlanID } = await call(first.url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })

  const acked = { products: new Set<string>(), builds: new Set<number>(), stages: new Set<string>() }
  let sent = 0
  let stop = false
  const worker = async (w: number): Promise<void> => {
    // eslint-disable-next-line no-unmodified-loop-condition -- the test body sets stop while the workers run
    for (let i = 0; !stop; i++) {
      sent++
      try {
        if (i % 3 === 0) {
          const name = `p-${w}-${i}`
          if ((await call(first.url, '/Product/add', { ProductName: name })).ErrorCode === 1000) acked.products.add(name)
        } else if (i % 3 === 1) {
          const r = await call(first.url, '/Build/add', { DevOpsPlanID, Parameter: { parameter: [{ name: 'W', value: String(w) }] } })
          if (r.ErrorCode === 1000) acked.builds.add(r.BuildIndex)
        } else if (acked.builds.size > 0) {
          const b = [...acked.builds][i % acked.builds.size]
          const stage = `s-${w}-${i}`
          if ((await call(first.url, '/Build/update', { DevOpsPlanID, BuildIndex: b, StageName: stage, Status: 'running', Detail: { W: w } })).ErrorCode === 1000) acked.stages.add(`${b}/${stage}`)
        }
      } catch {
        return // the server is gone: whatever was in flight is neither acknowledged nor required
      }
    }
  }
  const workers = Array.from({ length: 16 }, async (_, w) => await worker(w))
  await new Promise((resolve) => setTimeout(resolve, 1500))
  first.child.kill('SIGKILL')
  stop = true
  await Promise.all(workers)

  const second = await spawnServer(t, common)
  const products = new Set(((await get(second.url, '/Product/list')).json().ProductList as Array<{ ProductName: string }>).map((p) => p.ProductName))
  const missingProducts = [...acked.products].filter((n) => !products.has(n))
  const builds = (await get(second.url, '/Build/list', { DevOpsPlanID, PageSize: 500 })).json()
  const indexes = (builds.BuildList as Array<{ BuildIndex: number }>).map((b) => b.BuildIndex).sort((a, b) => a - b)
  const missingBuilds = [...acked.builds].filter((b) => !indexes.includes(b))
  let missingStages = 0
  let brokenStageIds = 0
  for (const b of indexes) {
    const info = await buildInfo(second.url, DevOpsPlanID, b)
    if (info.Parameter.parameter.length !== 3) t.fail(`build ${b} has half its parameters`)
    const stages = await stageList(second.url, DevOpsPlanID, b)
    if (stages.some((s, k) => s.StageID !== k + 1)) brokenStageIds++
    for (const key of acked.stages) {
      const [bi, name] = key.split('/')
      if (Number(bi) === b && !stages.some((s) => s.StageName === name)) missingStages++
    }
  }
  t.same(missingProducts, [], 'every acknowledged product is there')
  t.same(missingBuilds, [], 'every acknowledged build is there')
  t.equal(missingStages, 0, 'every acknowledged stage is there')
  t.equal(brokenStageIds, 0, 'StageIDs are still 1..n')
  t.same(indexes, Array.from({ length: indexes.length }, (_, k) => k + 1), 'BuildIndex has no gap')
  t.ok(acked.products.size + acked.builds.size + acked.stages.size > 50, 'there was real load before the kill')
  t.comment(`crash (${DIALECT}): ${sent} writes sent, ${acked.products.size + acked.builds.size + acked.stages.size} acknowledged ` +
    `(${acked.products.size} products, ${acked.builds.size} builds, ${acked.stages.size} stages), ` +
    `${missingProducts.length + missingBuilds.length + missingStages} missing after restart`)
})
