import t from 'tap'
import { spawnServer } from '../fixtures/server-process.js'
import { DIALECT, fakeJenkins, freshDatabase, get, post } from '../helper.js'

// Retention runs in every server process; the lease in app_state makes one of them do each run.
// Two real processes on one database, each running the job on its own timer: every pruned row is
// counted once over both /metrics, nothing that must stay goes, and indexes keep counting up.
const BUILDS = 30

const prunedBy = async (url: string): Promise<Record<string, number>> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = { builds: 0, stages: 0, events: 0 }
  for (const m of text.matchAll(/^testcloud_retention_pruned_total\{kind="(\w+)"\} (\d+)/gm)) out[m[1]] = Number(m[2])
  return out
}

t.test(`two server processes prune ${BUILDS - 2} builds once between them`, async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const common = { ...env, DATABASE_URL, RATE_LIMIT_PER_MINUTE: '0', POLL_INTERVAL_MS: '3600000' }
  // the first process records the history with retention off, so nothing goes before it is all there
  const writer = await spawnServer(t, common)
  const { ProductID } = (await post(writer.url, '/Product/add', { ProductName: 'UShop' })).json()
  const { DevOpsPlanID } = (await post(writer.url, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })).json()
  for (let i = 1; i <= BUILDS; i++) {
    t.equal((await post(writer.url, '/Build/add', { DevOpsPlanID })).json().BuildIndex, i)
    await post(writer.url, '/Build/update', { DevOpsPlanID, BuildIndex: i, StageName: 'Build', Status: 'success' })
    // build 29 stays running: it is never pruned, however old
    if (i !== BUILDS - 1) await post(writer.url, '/Build/update', { DevOpsPlanID, BuildIndex: i, Status: 'success' })
  }
  writer.child.kill('SIGTERM')
  const retain = { ...common, RETAIN_BUILDS: '1', RETAIN_INTERVAL_MS: '1000' }
  const servers = await Promise.all([spawnServer(t, retain), spawnServer(t, retain)])
  const deadline = Date.now() + 30_000
  let total = { builds: 0, stages: 0, events: 0 }
  while (Date.now() < deadline) {
    const [a, b] = await Promise.all(servers.map(async (s) => await prunedBy(s.url)))
    total = { builds: a.builds + b.builds, stages: a.stages + b.stages, events: a.events + b.events }
    if (total.builds >= BUILDS - 2) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  // a few more runs of both processes: nothing is pruned twice
  await new Promise((resolve) => setTimeout(resolve, 2500))
  const [a, b] = await Promise.all(servers.map(async (s) => await prunedBy(s.url)))
  t.equal(a.builds + b.builds, BUILDS - 2, 'each build pruned once over both processes')
  t.equal(a.stages + b.stages, BUILDS - 2, 'and its stage')
  t.ok(a.events + b.events >= 3 * (BUILDS - 2), `and its events (${a.events + b.events})`)
  t.comment(`${DIALECT}: process A pruned ${JSON.stringify(a)}, process B ${JSON.stringify(b)}`)
  const list = (await get(servers[1].url, '/Build/list', { DevOpsPlanID })).json()
  t.same(list.BuildList.map((x: { BuildIndex: number }) => x.BuildIndex), [BUILDS, BUILDS - 1], 'the newest and the running build stay')
  t.equal(list.TotalCount, 2)
  t.equal((await post(servers[0].url, '/Build/add', { DevOpsPlanID })).json().BuildIndex, BUILDS + 1, 'no index reused')
})
