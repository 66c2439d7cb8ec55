import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { FakeJenkins } from '../fixtures/fake-jenkins.js'
import { build, buildInfo, fakeJenkins, freshDatabase, post, seedPlan, stageList, tickLater } from '../helper.js'

// Poller tests drive ticks with app.poller.runOnce(); Jenkins moves only when the test moves it.

async function setup (t: Parameters<typeof build>[0], job: { name?: string, kind?: 'pipeline' | 'freestyle' } = {}, opts: Parameters<typeof fakeJenkins>[1] = {}, env: Record<string, string> = {}) {
  const { jenkins, env: jenkinsEnv } = await fakeJenkins(t, opts)
  const jobName = job.name ?? 'Test'
  jenkins.addJob({ name: jobName, parameters: { DevOpsPlanID: '', BuildIndex: '' }, kind: job.kind })
  const app = await build(t, { env: { ...jenkinsEnv, POLL_INTERVAL_MS: '50', ...env } })
  const { planId } = await seedPlan(app, jobName)
  return { app, jenkins, planId, jobName }
}

async function startBuild (app: FastifyInstance, jenkins: FakeJenkins, planId: number): Promise<{ index: number, queueId: number }> {
  const index = (await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex as number
  return { index, queueId: jenkins.lastQueueItem()?.id as number }
}

const later = tickLater

t.test('linear pipeline: queue → number → stages → Pass, with no callback from the pipeline', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const { queueId } = await startBuild(app, jenkins, planId)

  let tick = await later(app)
  t.match(tick, { claimed: 1, requests: 1 }, 'a waiting item costs one request')
  t.equal((await buildInfo(app, planId)).Status, 'Queued')

  const run = jenkins.startQueued(queueId)
  run.timestamp -= 5000 // the run started seconds before its first stage: the build starts with the run
  const checkout = jenkins.enterStage(run, 'Checkout')
  tick = await later(app)
  let b = await buildInfo(app, planId)
  t.equal(b.Status, 'Running')
  t.equal(b.JenkinsBuildNumber, 1)
  t.equal(b.JenkinsURL, `${jenkins.baseUrl}/job/Test/1/`)
  t.equal(b.StartTime, Math.floor(run.timestamp / 1000))
  t.match(await stageList(app, planId), [{ StageID: 1, StageName: 'Checkout', PreStageID: [], Status: 'Running', EndTime: null }])

  // once the number is known: one request per tick (wfapi gives stages and run status together)
  tick = await later(app)
  t.match(tick, { claimed: 1, requests: 1 })

  jenkins.endStage(checkout, 'SUCCESS')
  const buildStage = jenkins.enterStage(run, 'Build')
  await later(app)
  jenkins.endStage(buildStage, 'SUCCESS')
  jenkins.finish(run, 'SUCCESS')
  tick = await later(app)
  t.equal(tick.finished, 1)

  b = await buildInfo(app, planId)
  t.equal(b.Status, 'Pass')
  t.equal(b.EndTime, Math.floor((run.timestamp + run.duration) / 1000))
  const stages = await stageList(app, planId)
  t.match(stages, [
    { StageID: 1, StageName: 'Checkout', PreStageID: [], Status: 'Pass', StartTime: Math.floor(checkout.startTimeMillis / 1000), Detail: { URL: `${jenkins.baseUrl}/job/Test/1/console` } },
    { StageID: 2, StageName: 'Build', PreStageID: [1], Status: 'Pass' }
  ])
  t.equal(stages[1].EndTime, Math.floor((buildStage.startTimeMillis + buildStage.durationMillis) / 1000))

  const before = jenkins.requests.length
  t.match(await later(app), { claimed: 0, requests: 0 }, 'a finished build costs nothing')
  t.equal(jenkins.requests.length, before)
})

t.test('failing stage and build: FAILED → Fail with the error in Detail', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const { queueId } = await startBuild(app, jenkins, planId)
  const run = jenkins.startQueued(queueId)
  jenkins.endStage(jenkins.enterStage(run, 'Build'), 'SUCCESS')
  jenkins.endStage(jenkins.enterStage(run, 'Test'), 'FAILED', 'script returned exit code 1')
  jenkins.endStage(jenkins.enterStage(run, 'Deploy'), 'NOT_EXECUTED')
  jenkins.finish(run, 'FAILURE')
  await later(app)
  t.equal((await buildInfo(app, planId)).Status, 'Fail')
  t.match(await stageList(app, planId), [
    { StageName: 'Build', Status: 'Pass' },
    { StageName: 'Test', Status: 'Fail', Detail: { Error: 'script returned exit code 1' } },
    { StageName: 'Deploy', Status: 'Skipped' }
  ])
})

t.test('aborted and unstable runs', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const a = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  const u = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  jenkins.enterStage(a, 'Build')
  jenkins.finish(a, 'ABORTED')
  jenkins.endStage(jenkins.enterStage(u, 'Build'), 'UNSTABLE')
  jenkins.finish(u, 'UNSTABLE')
  await later(app)
  t.equal((await buildInfo(app, planId, 1)).Status, 'Aborted')
  t.equal((await buildInfo(app, planId, 2)).Status, 'Unstable')
  t.equal((await stageList(app, planId, 2))[0].Status, 'Unstable')
})

t.test('cancelled in the Jenkins queue → Aborted, never polled again', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const { queueId } = await startBuild(app, jenkins, planId)
  jenkins.cancelQueued(queueId)
  await later(app)
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Aborted')
  t.match(b.Detail, { Reason: /cancelled in the Jenkins queue/ })
  t.match(await later(app), { claimed: 0 })
})

t.test('parallel stages with fan-in: PreStageID from Blue Ocean edges', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  run.edges = { Build: ['Test'], Test: ['Unit', 'Integration', 'UI'], Unit: ['Deploy'], Integration: ['Deploy'], UI: ['Deploy'] }
  run.branches = ['Unit', 'Integration', 'UI']
  jenkins.endStage(jenkins.enterStage(run, 'Build'), 'SUCCESS')
  const test = jenkins.enterStage(run, 'Test')
  const branches = ['Unit', 'Integration', 'UI'].map((n) => jenkins.enterStage(run, n))
  await later(app)
  for (const b of branches) jenkins.endStage(b, 'SUCCESS')
  jenkins.endStage(test, 'SUCCESS')
  jenkins.endStage(jenkins.enterStage(run, 'Deploy'), 'SUCCESS')
  jenkins.finish(run, 'SUCCESS')
  await later(app)
  const stages = await stageList(app, planId)
  t.same(stages.map((s) => [s.StageID, s.StageName, s.PreStageID, s.Status]), [
    [1, 'Build', [], 'Pass'],
    [2, 'Test', [1], 'Pass'],
    [3, 'Unit', [2], 'Pass'],
    [4, 'Integration', [2], 'Pass'],
    [5, 'UI', [2], 'Pass'],
    [6, 'Deploy', [3, 4, 5], 'Pass']
  ])
})

t.test('without Blue Ocean each stage follows the previous one', async (t) => {
  const { app, jenkins, planId } = await setup(t, {}, { blueOcean: false })
  const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  for (const n of ['Build', 'Unit', 'Integration']) jenkins.endStage(jenkins.enterStage(run, n), 'SUCCESS')
  jenkins.finish(run, 'SUCCESS')
  await later(app)
  t.same((await stageList(app, planId)).map((s) => s.PreStageID), [[], [1], [2]])
})

t.test('folder jobs', async (t) => {
  const { app, jenkins, planId } = await setup(t, { name: 'team a/sub/Test' })
  const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  jenkins.endStage(jenkins.enterStage(run, 'Build'), 'SUCCESS')
  jenkins.finish(run, 'SUCCESS')
  await later(app)
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Pass')
  t.equal(b.JenkinsURL, `${jenkins.baseUrl}/job/team%20a/job/sub/job/Test/1/`)
  t.ok(jenkins.requests.some((r) => r.path === '/job/team%20a/job/sub/job/Test/1/wfapi/describe'))
  t.equal((await stageList(app, planId)).length, 1)
})

t.test('freestyle job (no wfapi): build-level status from api/json', async (t) => {
  const { app, jenkins, planId } = await setup(t, { kind: 'freestyle' })
  const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  await later(app)
  t.equal((await buildInfo(app, planId)).Status, 'Running')
  jenkins.finish(run, 'FAILURE')
  await later(app)
  t.equal((await buildInfo(app, planId)).Status, 'Fail')
  t.same(await stageList(app, planId), [])
})

// WorkflowRun.setResult comes before `completed` (and a caught failure marks a run mid-way): api/json
// then says building:true with a result. Only building:false is the end; the result may still get worse.
t.test('a result while the run is still building is not final: Running until building is false', async (t) => {
  const cases: Array<{ name: string, job?: { kind: 'freestyle' }, opts?: Parameters<typeof fakeJenkins>[1] }> = [
    { name: 'no stage plugin (api/json every tick)', opts: { flavor: 'none' } },
    { name: 'freestyle job', job: { kind: 'freestyle' } },
    { name: 'stage view', opts: { flavor: 'stage-view' } },
    { name: 'graph view', opts: { flavor: 'graph-view' } }
  ]
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const { app, jenkins, planId } = await setup(t, c.job, c.opts)
      const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
      await later(app)
      t.equal((await buildInfo(app, planId)).Status, 'Running')

      jenkins.setResult(run, 'UNSTABLE') // e.g. `unstable 'flaky tests'`; the run goes on
      let tick = await later(app)
      t.equal(tick.finished, 0, 'not finished while building')
      t.match(await buildInfo(app, planId), { Status: 'Running', EndTime: null })

      jenkins.setResult(run, 'FAILURE') // finish() sets the final result, building is still true
      tick = await later(app)
      t.equal(tick.finished, 0)
      t.match(await buildInfo(app, planId), { Status: 'Running', EndTime: null })

      jenkins.finish(run, 'FAILURE')
      tick = await later(app)
      t.equal(tick.finished, 1)
      const b = await buildInfo(app, planId)
      t.equal(b.Status, 'Fail', 'the final result, not the one seen while building')
      t.equal(b.EndTime, Math.floor((run.timestamp + run.duration) / 1000))
    })
  }
})

t.test('the LeftItem race: executable null is a normal, transient state', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const { queueId } = await startBuild(app, jenkins, planId)
  jenkins.startQueued(queueId, { withRace: true })
  t.match(await later(app), { errors: 0 })
  let b = await buildInfo(app, planId)
  t.equal(b.Status, 'Queued')
  t.equal(b.JenkinsBuildNumber, null)
  jenkins.settle(queueId)
  await later(app)
  b = await buildInfo(app, planId)
  t.equal(b.JenkinsBuildNumber, 1)
  t.equal(b.Status, 'Running')
})

t.test('queue item gone (404 after 5 minutes, or a restart): the build is found by its queueId', async (t) => {
  const { app, jenkins, planId } = await setup(t, {}, { leftItemTtlMs: 0 })
  const { queueId } = await startBuild(app, jenkins, planId)
  // another build of the same job, so the lookup has to pick the right one
  const other = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  const run = jenkins.startQueued(queueId)
  jenkins.finish(other, 'SUCCESS')
  jenkins.finish(run, 'FAILURE')
  await later(app)
  t.ok(jenkins.requests.some((r) => r.path === '/job/Test/api/json' && (r.query.get('tree') ?? '').includes('queueId')), 'looked the build up by queueId, with tree=')
  t.match(await buildInfo(app, planId, 1), { JenkinsBuildNumber: run.number, Status: 'Fail' })
  t.match(await buildInfo(app, planId, 2), { JenkinsBuildNumber: other.number, Status: 'Pass' })
})

t.test('a queue item that vanished with no build is given up after a few tries', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const { queueId } = await startBuild(app, jenkins, planId)
  jenkins.queue.delete(queueId)
  for (let i = 0; i < 3; i++) {
    await later(app)
  }
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Fail')
  t.match(b.Detail, { Reason: /vanished/ })
})

t.test('Jenkins down, then back: polls pause (no request storm), every build ends right after recovery', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const queued = []
  for (let i = 0; i < 5; i++) queued.push((await startBuild(app, jenkins, planId)).queueId)
  const runs = queued.map((q) => jenkins.startQueued(q))
  jenkins.failWith = 503
  const first = await later(app)
  t.equal(first.claimed, 5)
  t.ok(first.requests <= 5, `at most one request per build while failing (${first.requests})`)
  const during = await app.poller.runOnce() // same moment: within the pause
  t.match(during, { claimed: 0, requests: 0 }, 'paused: no request at all')
  const ready = async () => (await app.inject({ url: '/readyz' })).json().Jenkins.default
  const down = await ready()
  t.match(down, { state: /^failing/, since: Number }, '/readyz says since when')
  t.equal((await ready()).since, down.since, 'the same time on every read')

  jenkins.failWith = null
  for (const r of runs) jenkins.finish(r, 'SUCCESS')
  await later(app)
  for (let i = 1; i <= 5; i++) t.equal((await buildInfo(app, planId, i)).Status, 'Pass', `build ${i} reached its final status`)
  t.notOk('since' in await ready(), 'no time once it answers again')
})

t.test('slow Jenkins: timeouts count as an outage, nothing is written, the next tick recovers', async (t) => {
  const { app, jenkins, planId } = await setup(t, {}, {}, { JENKINS_TIMEOUT_MS: '200' })
  const run = jenkins.startQueued((await startBuild(app, jenkins, planId)).queueId)
  jenkins.latencyMs = 600
  const slow = await later(app)
  t.equal(slow.errors, 1)
  t.ok(slow.ms < 600, `the tick did not wait for Jenkins (${slow.ms} ms)`)
  t.equal((await buildInfo(app, planId)).JenkinsBuildNumber, null)
  jenkins.latencyMs = 0
  jenkins.finish(run, 'SUCCESS')
  await later(app)
  t.equal((await buildInfo(app, planId)).Status, 'Pass')
})

t.test('two app instances on one database: each build is polled once per tick', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const a = await build(t, { env: { ...env, DATABASE_URL, POLL_INTERVAL_MS: '60000' } })
  const b = await build(t, { env: { ...env, DATABASE_URL, POLL_INTERVAL_MS: '60000' } })
  const { planId } = await seedPlan(a)
  for (let i = 0; i < 20; i++) await post(i % 2 === 0 ? a : b, '/Build/add', { DevOpsPlanID: planId })
  for (const item of jenkins.queue.values()) jenkins.startQueued(item.id)
  const before = jenkins.requests.length
  const [ra, rb] = await Promise.all([a.poller.runOnce(), b.poller.runOnce()])
  t.equal(ra.claimed + rb.claimed, 20, `claimed ${ra.claimed} + ${rb.claimed}`)
  const queueCalls = jenkins.requests.slice(before).filter((r) => r.path.startsWith('/queue/item/'))
  t.equal(queueCalls.length, 20, 'one queue request per build, not two')
  t.equal(new Set(queueCalls.map((r) => r.path)).size, 20)
  // a second tick right away finds nothing due: the lease and the schedule hold across processes
  const [sa, sb] = await Promise.all([a.poller.runOnce(), b.poller.runOnce()])
  t.equal(sa.claimed + sb.claimed, 0)
})

t.test('the poller runs on its own when the server starts', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const server = await build(t, { env: { ...env, POLL_INTERVAL_MS: '50' }, pollerAutoStart: true })
  const { planId } = await seedPlan(server)
  const { queueId } = await startBuild(server, jenkins, planId)
  jenkins.finish(jenkins.startQueued(queueId), 'SUCCESS')
  const deadline = Date.now() + 5000
  while ((await buildInfo(server, planId)).Status !== 'Pass' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal((await buildInfo(server, planId)).Status, 'Pass')
})

t.test('a build whose trigger never completed (server killed mid-call) is failed, not left Queued', async (t) => {
  const { app, planId } = await setup(t)
  // what a kill -9 between recording and triggering leaves: Queued, no queue item, untouched Detail
  const old = Math.floor(Date.now() / 1000) - 3600
  await app.db.updateTable('plans').set({ last_build_index: 1 }).where('id', '=', planId).execute()
  await app.db.insertInto('builds').values({ plan_id: planId, build_index: 1, status: 'Queued', job_name: 'Test', parameter: '{"parameter":[]}', detail: '{}', create_time: old }).execute()
  await later(app)
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Fail')
  t.match(b.Detail, { Reason: /trigger never completed/ })
  // a fresh one is left alone: its trigger may still be under way
  await app.db.updateTable('plans').set({ last_build_index: 2 }).where('id', '=', planId).execute()
  await app.db.insertInto('builds').values({ plan_id: planId, build_index: 2, status: 'Queued', job_name: 'Test', parameter: '{"parameter":[]}', detail: '{}', create_time: Math.floor(Date.now() / 1000) }).execute()
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 2)).Status, 'Queued')
})
