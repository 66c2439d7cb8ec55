import t from 'tap'
import { spawnServer } from '../fixtures/server-process.js'
import { DIALECT, fakeJenkins, freshDatabase, post } from '../helper.js'

// Two server processes on one database, 1,000 concurrent Build/add on one plan.
const N = 1000

t.test(`${N} concurrent Build/add over two server processes: indexes exactly 1..${N}`, async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  // every client is 127.0.0.1 here, standing in for a fleet: the per-address connection cap is raised
  const common = { ...env, JENKINS_TIMEOUT_MS: '30000', DATABASE_URL, RATE_LIMIT_PER_MINUTE: '0', POLL_INTERVAL_MS: '3600000', CONNECTIONS_PER_ADDRESS: '2000' }
  const servers = await Promise.all([spawnServer(t, common), spawnServer(t, common)])
  const call = async (base: string, path: string, body: object) => {
    const res = await post(base, path, body)
    return { status: res.statusCode, body: res.json() }
  }
  const { ProductID } = (await call(servers[0].url, '/Product/add', { ProductName: 'UShop' })).body
  const { DevOpsPlanID } = (await call(servers[1].url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })).body

  const started = Date.now()
  const answers = await Promise.all(Array.from({ length: N }, async (_, i) => await call(servers[i % 2].url, '/Build/add', { DevOpsPlanID })))
  const ms = Date.now() - started
  const indexes = answers.map((a) => a.body.BuildIndex as number).sort((a, b) => a - b)
  const fiveHundreds = answers.filter((a) => a.status >= 500).length
  const duplicates = indexes.length - new Set(indexes).size
  t.equal(fiveHundreds, 0, '500s seen')
  t.equal(duplicates, 0, 'duplicates seen')
  t.same(answers.filter((a) => a.body.ErrorCode !== 1000).map((a) => a.body), [], 'every call accepted')
  t.same(indexes, Array.from({ length: N }, (_, i) => i + 1), 'no gap')
  const triggered = [...jenkins.queue.values()].map((q) => Number(q.params.BuildIndex))
  t.equal(new Set(triggered).size, N, 'each index triggered once in Jenkins')
  t.comment(`concurrency (${DIALECT}): ${N} Build/add over 2 processes in ${ms} ms; 500s ${fiveHundreds}, duplicates ${duplicates}`)
})
