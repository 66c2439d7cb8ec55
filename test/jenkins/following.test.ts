import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { FakeBuild, FakeJenkins, FakeJenkinsOptions, StageSpec } from '../fixtures/fake-jenkins.js'
import { build, buildInfo, fakeJenkins, post, seedPlan, stageList, tickLater } from '../helper.js'

// Following Jenkins as it is installed today (docs/API.md, Round 2): each rule against the double's
// install flavors, asserting statuses and the Jenkins requests each step cost.

type Flavor = 'graph-view' | 'stage-view+blue-ocean' | 'stage-view' | 'none'

function doubleOptions (flavor: Flavor): FakeJenkinsOptions {
  if (flavor === 'graph-view') return { flavor: 'graph-view' }
  if (flavor === 'none') return { flavor: 'none' }
  return { flavor: 'stage-view', blueOcean: flavor === 'stage-view+blue-ocean' }
}

async function setup (t: Test, flavor: Flavor, env: Record<string, string> = {}) {
  const { jenkins, env: jenkinsEnv } = await fakeJenkins(t, doubleOptions(flavor))
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...jenkinsEnv, POLL_INTERVAL_MS: '50', ...env } })
  const { planId } = await seedPlan(app)
  return { app, jenkins, planId }
}

/** Build/add, then Jenkins starts the item: the run. */
async function started (app: FastifyInstance, jenkins: FakeJenkins, planId: number): Promise<FakeBuild> {
  if ((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode !== 1000) throw new Error('Build/add failed')
  return jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
}

/** One tick; the Jenkins requests it made, per "METHOD path" with numbers as N. */
async function tick (app: FastifyInstance, jenkins: FakeJenkins): Promise<Record<string, number>> {
  const since = jenkins.requests.length
  await tickLater(app)
  return jenkins.requestCounts(since)
}

const shape = async (app: FastifyInstance, planId: number, index = 1) =>
  (await stageList(app, planId, index)).map((s) => [s.StageName, s.PreStageID, s.Status])

const Q = 'GET /queue/item/N/api/json'
const TREE = 'GET /job/Test/N/stages/tree'
const RUN = 'GET /job/Test/N/api/json'
const WFAPI = 'GET /job/Test/N/wfapi/describe'
const BLUE = 'GET /blue/rest/organizations/jenkins/pipelines/Test/runs/N/nodes/'
const JOB = 'GET /job/Test/api/json'
/** graph view's tree at each of its URLs (stages/tree since release 777, older releases elsewhere): all 404 without it */
const NO_GRAPH = {
  [TREE]: 1, 'GET /job/Test/N/pipeline-overview/tree': 1, 'GET /job/Test/N/pipeline-console/tree': 1, 'GET /job/Test/N/pipeline-graph/tree': 1
}
/** what the first run followed on an instance costs, beyond its own source: graph view's URLs 404 + the run (it exists) */
const PROBE: Record<Flavor, Record<string, number>> = {
  'graph-view': {},
  'stage-view+blue-ocean': { ...NO_GRAPH, [RUN]: 1 },
  'stage-view': { ...NO_GRAPH, [RUN]: 1 },
  none: { ...NO_GRAPH, [RUN]: 1, [WFAPI]: 1 }
}

t.test('stage sources: probed on the first run, remembered; an API the instance lacks costs nothing per tick; /readyz says what each offers', async (t) => {
  const first: Record<Flavor, Record<string, number>> = {
    'graph-view': { [Q]: 1, [TREE]: 1 },
    'stage-view+blue-ocean': { [Q]: 1, ...NO_GRAPH, [RUN]: 1, [WFAPI]: 1, [BLUE]: 1 },
    'stage-view': { [Q]: 1, ...NO_GRAPH, [RUN]: 1, [WFAPI]: 1, [BLUE]: 1 },
    none: { [Q]: 1, ...NO_GRAPH, [RUN]: 1, [WFAPI]: 1 }
  }
  const steady: Record<Flavor, Record<string, number>> = {
    'graph-view': { [TREE]: 1 }, 'stage-view+blue-ocean': { [WFAPI]: 1 }, 'stage-view': { [WFAPI]: 1 }, none: { [RUN]: 1 }
  }
  const offered: Record<Flavor, string> = { 'graph-view': 'graph-view', 'stage-view+blue-ocean': 'stage-view+blue-ocean', 'stage-view': 'stage-view', none: 'none' }
  for (const flavor of Object.keys(first) as Flavor[]) {
    t.test(flavor, async (t) => {
      const { app, jenkins, planId } = await setup(t, flavor)
      t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: 'ok', stages: 'not probed yet' } })
      t.equal(jenkins.countRequests('/api/json'), 1, '/readyz asked Jenkins itself once')
      const run = await started(app, jenkins, planId)
      jenkins.playPipeline(run, ['Checkout', { name: 'Build', result: 'running' }], { finish: false })
      t.same(await tick(app, jenkins), first[flavor], 'the first run probes the instance')
      t.same(await tick(app, jenkins), steady[flavor], 'then one request per running build per tick, from the source found')
      const second = await started(app, jenkins, planId)
      jenkins.playPipeline(second, [{ name: 'Checkout', result: 'running' }], { finish: false })
      const both = await tick(app, jenkins)
      t.notOk(Object.keys(both).some((k) => k !== Q && k !== RUN && Object.keys(steady[flavor]).every((s) => s !== k) && k !== BLUE), `no probe for the second run: ${JSON.stringify(both)}`)
      t.equal(both[TREE] ?? 0, flavor === 'graph-view' ? 2 : 0)
      t.equal(both[WFAPI] ?? 0, flavor.startsWith('stage-view') ? 2 : 0)
      if (flavor !== 'none') {
        t.same((await stageList(app, planId)).map((s) => [s.StageName, s.Status]), [['Checkout', 'Pass'], ['Build', 'Running']])
      } else {
        t.same(await stageList(app, planId), [], 'no stage API: the run only')
      }
      t.equal((await buildInfo(app, planId)).Status, 'Running')
      const ready = (await app.inject({ url: '/readyz' })).json()
      t.same(ready.Jenkins, { default: { state: 'ok', stages: offered[flavor] } })
      t.equal(jenkins.countRequests('/api/json'), 1, 'the /readyz probe is cached')
    })
  }
})

t.test('/readyz: a dead Jenkins or refused credentials do not read "ok"', async (t) => {
  const dead = await build(t, { env: { JENKINS_URL: 'http://127.0.0.1:9', JENKINS_TIMEOUT_MS: '500' } })
  t.match((await dead.inject({ url: '/readyz' })).json(), { ErrorCode: 1000, Jenkins: { default: { state: /unreachable/ } } })
  const { jenkins, env } = await fakeJenkins(t)
  const wrong = await build(t, { env: { ...env, JENKINS_TOKEN: 'wrong-token' } })
  t.match((await wrong.inject({ url: '/readyz' })).json().Jenkins, { default: { state: /credentials \(401\)/ } })
  await wrong.inject({ url: '/readyz' })
  t.equal(jenkins.countRequests('/api/json'), 1, 'asked once in 30 s')
  const before = jenkins.requests.length
  await post(wrong, '/Product/add', { ProductName: 'X' })
  await wrong.inject({ method: 'GET', url: '/TestCloud/DevOps/Product/list' })
  t.equal(jenkins.requests.length, before, 'API requests never ask Jenkins for its health')
})

/** what capturing one failed stage's error and log costs (once), per flavor (test/routes/stage-log.test.ts) */
const LOG: Record<Exclude<Flavor, 'none'>, Record<string, number>> = {
  'graph-view': { 'GET /job/Test/N/stages/steps': 1, 'GET /job/Test/N/stages/exceptionText': 1, 'GET /job/Test/N/stages/log': 1 },
  'stage-view+blue-ocean': { 'GET /blue/rest/organizations/jenkins/pipelines/Test/runs/N/nodes/N/log/': 1 },
  'stage-view': { 'GET /job/Test/N/execution/node/N/wfapi/describe': 1, 'GET /job/Test/N/execution/node/N/wfapi/log': 1 }
}

const FAILED_THEN_SKIPPED: StageSpec[] = ['Checkout', { name: 'Build', result: 'FAILURE' }, 'Test', 'Deploy']

t.test('skipped is not Pass: stages skipped after a failure, and when-skipped stages', async (t) => {
  for (const flavor of ['graph-view', 'stage-view+blue-ocean', 'stage-view'] as const) {
    t.test(flavor, async (t) => {
      const { app, jenkins, planId } = await setup(t, flavor)
      jenkins.playPipeline(await started(app, jenkins, planId), FAILED_THEN_SKIPPED)
      const source: Record<string, number> = flavor === 'graph-view' ? { [TREE]: 1 } : { [WFAPI]: 1, [BLUE]: 1 }
      t.same(await tick(app, jenkins), sum({ [Q]: 1, [RUN]: 1 }, source, PROBE[flavor], LOG[flavor]),
        'queue, source (with the probe), the failed stage\'s log, the run for its result')
      t.equal((await buildInfo(app, planId)).Status, 'Fail')
      t.same(await shape(app, planId), [['Checkout', [], 'Pass'], ['Build', [1], 'Fail'], ['Test', [2], 'Skipped'], ['Deploy', [3], 'Skipped']])
      t.match((await stageList(app, planId))[1].Detail, flavor === 'graph-view' ? {} : { Error: 'script returned exit code 1' })

      jenkins.playPipeline(await started(app, jenkins, planId), ['Build', { name: 'Deploy', when: false }, 'Notify'])
      await tick(app, jenkins)
      t.equal((await buildInfo(app, planId, 2)).Status, 'Pass')
      t.same(await shape(app, planId, 2), [['Build', [], 'Pass'], ['Deploy', [1], 'Skipped'], ['Notify', [2], 'Pass']], 'when: false is Skipped')
    })
  }
})

const PARALLEL = (integration: 'running' | 'FAILURE'): StageSpec[] => ['Build', { name: 'Test', parallel: ['Unit', { name: 'Integration', result: integration }, 'UI'] }, 'Deploy']

t.test('parallel: branches are stages after the parallel stage, which follows them; the next stage fans in', async (t) => {
  for (const flavor of ['graph-view', 'stage-view+blue-ocean'] as const) {
    t.test(flavor, async (t) => {
      const { app, jenkins, planId } = await setup(t, flavor)
      const run = await started(app, jenkins, planId)
      jenkins.playPipeline(run, PARALLEL('running'), { finish: false })
      await tick(app, jenkins)
      t.same(await shape(app, planId), [['Build', [], 'Pass'], ['Test', [1], 'Running'], ['Unit', [2], 'Pass'], ['Integration', [2], 'Running'], ['UI', [2], 'Pass']],
        'the parallel stage runs while a branch does (wfapi alone says SUCCESS after 90 ms)')
      jenkins.playPipeline(run, PARALLEL('FAILURE'))
      const last = await tick(app, jenkins)
      // the failed branch's log; the parallel stage holding it logs nothing itself
      t.same(last, sum(flavor === 'graph-view' ? { [TREE]: 1, [RUN]: 1 } : { [WFAPI]: 1, [BLUE]: 1, [RUN]: 1 }, LOG[flavor]))
      t.same(await shape(app, planId), [['Build', [], 'Pass'], ['Test', [1], 'Fail'], ['Unit', [2], 'Pass'], ['Integration', [2], 'Fail'], ['UI', [2], 'Pass'], ['Deploy', [3, 4, 5], 'Skipped']],
        'a failing branch fails the parallel stage; Deploy fans in from every branch')
      t.equal((await buildInfo(app, planId)).Status, 'Fail')
    })
  }
})

const MATRIX = (windowsTest: 'running' | 'UNSTABLE'): StageSpec[] => [
  { name: 'Matrix', parallel: [{ name: 'linux', stages: ['Build', 'Test'] }, { name: 'windows', stages: ['Build', { name: 'Test', result: windowsTest }] }] },
  { name: 'Deploy', result: 'FAILURE', caught: true },
  'Deploy'
]

t.test('duplicate names (matrix cells, retry) are distinct stages, matched by node id tick after tick', async (t) => {
  for (const flavor of ['graph-view', 'stage-view+blue-ocean'] as const) {
    t.test(flavor, async (t) => {
      const { app, jenkins, planId } = await setup(t, flavor)
      const run = await started(app, jenkins, planId)
      jenkins.playPipeline(run, MATRIX('running'), { finish: false })
      await tick(app, jenkins)
      t.same(await shape(app, planId), [['Matrix', [], 'Running'], ['linux', [1], 'Pass'], ['Build', [2], 'Pass'], ['Test', [3], 'Pass'],
        ['windows', [1], 'Running'], ['Build (2)', [5], 'Pass'], ['Test (2)', [6], 'Running']])
      jenkins.playPipeline(run, MATRIX('UNSTABLE'))
      await tick(app, jenkins)
      t.same(await shape(app, planId), [['Matrix', [], 'Unstable'], ['linux', [1], 'Pass'], ['Build', [2], 'Pass'], ['Test', [3], 'Pass'],
        ['windows', [1], 'Unstable'], ['Build (2)', [5], 'Pass'], ['Test (2)', [6], 'Unstable'], ['Deploy', [4, 7], 'Fail'], ['Deploy (2)', [8], 'Pass']],
      'the retried Deploy is Deploy (2); the cells stay matched to their node ids')
      const stages = await stageList(app, planId)
      t.equal(new Set(stages.map((s) => s.Detail.JenkinsNodeID)).size, 9, 'one node id per stage')
      t.equal((await buildInfo(app, planId)).Status, 'Unstable')
    })
  }
})

t.test('lost runs: 404 on the run while the job answers, 3 ticks → Aborted with the reason, never polled again; job gone → at once', async (t) => {
  for (const flavor of ['graph-view', 'stage-view+blue-ocean', 'none'] as const) {
    t.test(flavor, async (t) => {
      const { app, jenkins, planId } = await setup(t, flavor)
      const run = await started(app, jenkins, planId)
      jenkins.playPipeline(run, [{ name: 'Build', result: 'running' }], { finish: false })
      await tick(app, jenkins)
      jenkins.deleteRun('Test', run.number, { force: true })
      const source = flavor === 'graph-view' ? TREE : flavor === 'none' ? RUN : WFAPI
      const lostTick = flavor === 'none' ? { [RUN]: 1, [JOB]: 1 } : { [source]: 1, [RUN]: 1, [JOB]: 1 }
      for (let i = 1; i <= 2; i++) {
        t.same(await tick(app, jenkins), lostTick, `404 number ${i}: run and job asked`)
        t.equal((await buildInfo(app, planId)).Status, 'Running')
      }
      t.same(await tick(app, jenkins), lostTick)
      const b = await buildInfo(app, planId)
      t.equal(b.Status, 'Aborted')
      t.match(b.Detail, { Reason: /no longer has run #1 of "Test"/ })
      t.same(await tick(app, jenkins), {}, 'never polled again')

      const second = await started(app, jenkins, planId)
      await tick(app, jenkins)
      jenkins.deleteJob('Test') // aborts the run, then removes the job and its runs
      t.equal(second.result, 'ABORTED')
      await tick(app, jenkins)
      const gone = await buildInfo(app, planId, 2)
      t.equal(gone.Status, 'Aborted')
      t.match(gone.Detail, { Reason: /job "Test" no longer exists/ })
    })
  }
})

t.test('Build/cancel: a run Jenkins no longer has, an item it forgot, and the start window (500 from cancelItem)', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  const run = await started(app, jenkins, planId)
  await tick(app, jenkins)
  jenkins.finish(run, 'SUCCESS')
  jenkins.deleteRun('Test', run.number)
  let since = jenkins.requests.length
  const lost = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })
  t.same(lost.json(), { ErrorCode: 1000, Description: 'OK: Jenkins no longer has run #1 of "Test"; recorded as Aborted' })
  t.same(jenkins.requestCounts(since), { 'POST /job/Test/N/stop': 1 })
  t.match(await buildInfo(app, planId), { Status: 'Aborted', Detail: { Reason: /no longer has run #1/ } })

  await post(app, '/Build/add', { DevOpsPlanID: planId })
  jenkins.queue.delete(jenkins.lastQueueItem()?.id as number) // a restart lost the queue
  since = jenkins.requests.length
  const forgotten = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 2 })
  t.match(forgotten.json(), { ErrorCode: 1000, Description: /no longer has this build .*recorded as Aborted/ })
  t.same(jenkins.requestCounts(since), { 'POST /queue/cancelItem': 1, [JOB]: 1 })
  t.equal((await buildInfo(app, planId, 2)).Status, 'Aborted')

  // left the queue, number known on the item: cancelItem answers 500, the run is found and stopped
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const third = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  since = jenkins.requests.length
  t.same((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 3 })).json(), { ErrorCode: 1000, Description: 'OK' })
  t.same(jenkins.requestCounts(since), { 'POST /queue/cancelItem': 1, [Q]: 1, 'POST /job/Test/N/stop': 1 })
  t.equal(third.result, 'ABORTED')
  t.match(await buildInfo(app, planId, 3), { Status: 'Aborted', JenkinsBuildNumber: third.number })

  // the start window: LeftItem without executable and no run yet; the poller stops it once it shows
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const queueId = jenkins.lastQueueItem()?.id as number
  const fourth = jenkins.startQueued(queueId, { withRace: true })
  since = jenkins.requests.length
  t.same((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 4 })).json(), { ErrorCode: 1000, Description: 'OK' })
  t.same(jenkins.requestCounts(since), { 'POST /queue/cancelItem': 1, [Q]: 1, [JOB]: 1 })
  t.equal((await buildInfo(app, planId, 4)).Status, 'Aborted')
  jenkins.settle(queueId)
  await tick(app, jenkins)
  t.equal(fourth.result, 'ABORTED', 'stopped once its number showed')
  t.equal((await buildInfo(app, planId, 4)).Status, 'Aborted')
})

t.test('queue reasons: Detail.QueueReason (and Stuck) while it waits, null once it runs', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const id = jenkins.lastQueueItem()?.id as number
  jenkins.blockQueued(id, 'Build #6 is already in progress (ETA: 1 min 2 sec)')
  t.same(await tick(app, jenkins), { [Q]: 1 })
  t.match(await buildInfo(app, planId), { Status: 'Queued', Detail: { QueueReason: 'Build #6 is already in progress', Stuck: null } })
  jenkins.makeBuildable(id, { why: 'Waiting for next available executor on ‘gpu-linux’', stuck: true })
  t.same(await tick(app, jenkins), { [Q]: 1 })
  t.match(await buildInfo(app, planId), { Status: 'Queued', Detail: { QueueReason: 'Waiting for next available executor on ‘gpu-linux’', Stuck: true } })
  jenkins.startQueued(id)
  t.same(await tick(app, jenkins), { [Q]: 1, [TREE]: 1 })
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Running')
  t.equal(b.Detail.QueueReason, null, 'cleared (the write path merges Detail: null is how a key goes)')
  t.equal(b.Detail.Stuck, null)
})

t.test('identity: a queue item of another job is not ours; a replay with our parameters rewrites nothing (webhook and poller)', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'stage-view+blue-ocean', { WEBHOOK_TOKEN: 'hook-secret-1-0123456789abcdef0123456789ab' })
  jenkins.addJob({ name: 'Other', parameters: null })
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const ours = jenkins.lastQueueItem()?.id as number
  // Jenkins crashed and its queue ids rolled back: our id now names an item of another job
  jenkins.queue.delete(ours)
  const other = jenkins.startRun('Other', { cause: 'timer' })
  jenkins.queue.delete(other.id)
  other.id = ours
  jenkins.queue.set(ours, other)
  jenkins.startQueued(ours)
  for (let i = 1; i <= 2; i++) {
    t.same(await tick(app, jenkins), { [Q]: 1, [JOB]: 1 }, 'the item is Other\'s: our job is searched for the queue id')
    t.match(await buildInfo(app, planId), { Status: 'Queued', JenkinsBuildNumber: null })
  }
  await tick(app, jenkins)
  t.match(await buildInfo(app, planId), { Status: 'Fail', JenkinsBuildNumber: null, Detail: { Reason: /vanished/ } })

  const run = await started(app, jenkins, planId)
  jenkins.playPipeline(run, ['Build'])
  await tick(app, jenkins)
  t.match(await buildInfo(app, planId, 2), { Status: 'Pass', JenkinsBuildNumber: run.number })
  const item = jenkins.startRun('Test', { cause: 'replay', replayOf: run.number })
  const replay = jenkins.startQueued(item.id)
  t.same(replay.params, run.params, 'the replay carries our DevOpsPlanID/BuildIndex')
  jenkins.playPipeline(replay, [{ name: 'Build', result: 'FAILURE' }])
  const since = jenkins.requests.length
  for (const phase of ['STARTED', 'COMPLETED']) {
    const res = await app.inject({
      method: 'POST',
      url: '/TestCloud/DevOps/Webhook/jenkins?token=hook-secret-1-0123456789abcdef0123456789ab',
      payload: { name: 'Test', url: 'job/Test/', build: { phase, number: replay.number, queue_id: item.id, full_url: `${jenkins.baseUrl}/job/Test/${replay.number}/`, status: 'FAILURE', parameters: replay.params } }
    })
    t.match(res.json(), { ErrorCode: 1000, Description: 'OK' }, `${phase}: applied to the replay's own build`)
  }
  t.ok(jenkins.requests.length > since, 'COMPLETED had the replay\'s build polled at once')
  t.match(await buildInfo(app, planId, 3), { Status: 'Fail', Source: 'jenkins', JenkinsBuildNumber: replay.number })
  t.match(await buildInfo(app, planId, 2), { Status: 'Pass', JenkinsBuildNumber: run.number })
  t.same((await stageList(app, planId, 2)).map((s) => s.Status), ['Pass'])
})

function sum (...parts: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of parts) for (const [k, v] of Object.entries(p)) out[k] = (out[k] ?? 0) + v
  return out
}
