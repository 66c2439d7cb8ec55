import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { FakeBuild, FakeJenkins, FakeJenkinsOptions, StageSpec } from '../fixtures/fake-jenkins.js'
import { setStageLog } from '../fixtures/fake-jenkins-logs.js'
import { build, buildInfo, fakeJenkins, get, post, seedPlan, stageList, tickLater } from '../helper.js'

// Stage/log: a failed stage's error and log excerpt, captured once by the poller from whichever
// API the instance offers, served from the database.

type Flavor = 'graph-view' | 'stage-view+blue-ocean' | 'stage-view'
const FLAVORS: Flavor[] = ['graph-view', 'stage-view+blue-ocean', 'stage-view']

function doubleOptions (flavor: Flavor): FakeJenkinsOptions {
  return flavor === 'graph-view' ? { flavor: 'graph-view' } : { flavor: 'stage-view', blueOcean: flavor === 'stage-view+blue-ocean' }
}

/** The API each flavor's logs come from (one path each, numbers as N). */
const LOG_PATHS: Record<Flavor, RegExp> = {
  'graph-view': /\/stages\/(steps|exceptionText|log)$/,
  'stage-view+blue-ocean': /\/nodes\/\d+\/log\/$/,
  'stage-view': /\/execution\/node\/\d+\/wfapi\/(describe|log)$/
}

async function setup (t: Test, flavor: Flavor) {
  const { jenkins, env } = await fakeJenkins(t, doubleOptions(flavor))
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, POLL_INTERVAL_MS: '50' } })
  const { planId } = await seedPlan(app)
  return { app, jenkins, planId }
}

async function started (app: FastifyInstance, jenkins: FakeJenkins, planId: number): Promise<FakeBuild> {
  if ((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode !== 1000) throw new Error('Build/add failed')
  return jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
}

async function stageLog (app: FastifyInstance, planId: number, name: string, buildIndex = 1): Promise<Record<string, any>> {
  const stage = (await stageList(app, planId, buildIndex)).find((s) => s.StageName === name)
  if (stage == null) throw new Error(`no stage ${name}`)
  const body = (await get(app, '/Stage/log', { DevOpsPlanID: planId, BuildIndex: buildIndex, StageID: stage.StageID })).json()
  return body
}

const FAILING: StageSpec[] = ['Build', { name: 'Test', result: 'FAILURE' }, 'Deploy']

for (const flavor of FLAVORS) {
  t.test(`${flavor}: a failed stage's error and log are captured once, without colour codes, and outlive the run`, async (t) => {
    const { app, jenkins, planId } = await setup(t, flavor)
    const run = await started(app, jenkins, planId)
    await tickLater(app)
    const stages = jenkins.playPipeline(run, FAILING)
    setStageLog(stages[1], '+ npm test\n\u001b[32mok\u001b[0m 1 - login page loads\n\u001b[1;31mnot ok\u001b[0m 2 - login rejects a wrong password\n# fail 1\n')
    const before = jenkins.requests.length
    t.match(await tickLater(app), { finished: 1 })
    const logRequests = jenkins.countRequests(LOG_PATHS[flavor], before)
    t.ok(logRequests >= 1 && logRequests <= 3, `the failed stage cost ${logRequests} log requests`)
    t.comment(`${flavor}: ${logRequests} Jenkins requests to capture one failed stage`)

    const test = await stageLog(app, planId, 'Test')
    t.match(test, { ErrorCode: 1000, Error: 'script returned exit code 1', Truncated: false })
    t.match(test.Log, /^\+ npm test\nok 1 - login page loads\nnot ok 2 - login rejects a wrong password\n# fail 1/)
    t.notOk((test.Log as string).includes('\u001b'), 'no escape codes')
    t.match(await stageLog(app, planId, 'Build'), { ErrorCode: 1000, Error: '', Log: '', Truncated: false }, 'a passed stage: empty, not an error')
    t.match(await stageLog(app, planId, 'Deploy'), { Error: '', Log: '' }, 'a skipped stage: empty')

    // reading costs Jenkins nothing, and Jenkins discarding the run takes nothing away
    const mark = jenkins.requests.length
    jenkins.deleteRun('Test', run.number, { force: true })
    t.equal((await stageLog(app, planId, 'Test')).Error, 'script returned exit code 1')
    t.match(await tickLater(app), { claimed: 0 })
    t.equal(jenkins.requests.length, mark, 'no Jenkins request to serve the log')
  })

  t.test(`${flavor}: a long log keeps its last 200 lines within 64 KiB; Truncated says so`, async (t) => {
    const { app, jenkins, planId } = await setup(t, flavor)
    const run = await started(app, jenkins, planId)
    await tickLater(app)
    const stages = jenkins.playPipeline(run, [{ name: 'Test', result: 'FAILURE' }])
    const lines = Array.from({ length: 1000 }, (_, i) => `\u001b[33mline ${i + 1}\u001b[0m ${'x'.repeat(i % 7)}`)
    setStageLog(stages[0], lines.join('\n') + '\n')
    await tickLater(app)
    const log = await stageLog(app, planId, 'Test')
    t.equal(log.Truncated, true)
    const got = (log.Log as string).split('\n')
    // graph view and Blue Ocean put the step's error after its log, as Jenkins' own views show it
    const end = flavor === 'stage-view' ? [`line 1000 ${'x'.repeat(999 % 7)}`] : [`line 1000 ${'x'.repeat(999 % 7)}`, 'script returned exit code 1']
    t.same(got.slice(-end.length), end, 'ends with the last line')
    t.ok(got.length <= 200, `${got.length} lines`)
    // wfapi gives only a step's last 10 KiB: fewer lines, but whole ones
    if (flavor !== 'stage-view') t.equal(got.length, 200)
    t.match(got[0], /^line \d+ x*$/, 'starts on a whole line')
  })
}

for (const flavor of FLAVORS) {
  t.test(`${flavor}: a log request Jenkins fails when the run ends is asked again on later polls of the ended build`, async (t) => {
    const { app, jenkins, planId } = await setup(t, flavor)
    const run = await started(app, jenkins, planId)
    await tickLater(app)
    const stages = jenkins.playPipeline(run, FAILING)
    setStageLog(stages[1], '+ npm test\nnot ok 2 - login rejects a wrong password\n')
    jenkins.failNext(LOG_PATHS[flavor], { times: 2 })
    t.match(await tickLater(app), { finished: 1 }, 'the build ended')
    t.equal((await stageLog(app, planId, 'Test')).Log, '', 'Jenkins failed the log request')
    t.equal((await buildInfo(app, planId)).Status, 'Fail')
    for (let i = 0; i < 4 && (await stageLog(app, planId, 'Test')).Log === ''; i++) await tickLater(app) // past the back-off
    t.match((await stageLog(app, planId, 'Test')).Log, /not ok 2 - login rejects a wrong password/, 'captured on a later poll')
    const mark = jenkins.requests.length
    t.match(await tickLater(app), { claimed: 0 }, 'then the build is left alone')
    t.equal(jenkins.requests.length, mark)
  })
}

t.test('a log Jenkins never gives: the ended build is polled again at most 5 times', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  const run = await started(app, jenkins, planId)
  await tickLater(app)
  jenkins.playPipeline(run, FAILING)
  jenkins.failNext(LOG_PATHS['graph-view'], { times: 1000 })
  let polls = 0
  for (let i = 0; i < 12; i++) polls += (await tickLater(app)).claimed
  t.equal(polls, 1 + 5, 'the poll that saw it end, then 5 more')
  t.equal((await buildInfo(app, planId)).Status, 'Fail')
})

t.test('a log of long lines is cut to 64 KiB at a line start; UTF-8 stays whole', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  const run = await started(app, jenkins, planId)
  await tickLater(app)
  const stages = jenkins.playPipeline(run, [{ name: 'Test', result: 'FAILURE' }])
  setStageLog(stages[0], Array.from({ length: 150 }, (_, i) => `${i} ${'测试'.repeat(300)}`).join('\n') + '\n')
  await tickLater(app)
  const log = await stageLog(app, planId, 'Test')
  t.equal(log.Truncated, true)
  t.ok(Buffer.byteLength(log.Log as string) <= 64 * 1024, `${Buffer.byteLength(log.Log as string)} bytes`)
  t.match(log.Log, /^\d+ 测试/, 'a whole first line')
  t.notMatch(log.Log, /\uFFFD/, 'no broken character')
  t.match(log.Log, /\n149 测试/, 'the last line is there')
})

t.test('an Unstable stage is captured too; a failed branch while another still runs is asked about once', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  const run = await started(app, jenkins, planId)
  await tickLater(app)
  jenkins.playPipeline(run, [{ name: 'Lint', result: 'UNSTABLE' }, { name: 'Tests', parallel: [{ name: 'Unit', result: 'FAILURE' }, { name: 'UI', result: 'running' }] }], { finish: false })
  const before = jenkins.requests.length
  await tickLater(app)
  const first = jenkins.countRequests(LOG_PATHS['graph-view'], before)
  await tickLater(app)
  await tickLater(app)
  t.equal(jenkins.countRequests(LOG_PATHS['graph-view'], before), first, 'later ticks ask nothing more')
  t.match(await stageLog(app, planId, 'Unit'), { Error: 'script returned exit code 1', Log: /not ok 2 - Unit checks/ })
  t.match(await stageLog(app, planId, 'Lint'), { Error: '', Log: /ok 2 - Lint checks/ })
})

t.test('Stage/log: unknown plan, build or stage is 1002; a bad StageID is 1001', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'graph-view')
  const run = await started(app, jenkins, planId)
  await tickLater(app)
  jenkins.playPipeline(run, ['Build'])
  await tickLater(app)
  const ask = async (q: Record<string, string | number>) => await get(app, '/Stage/log', q)
  for (const q of [
    { DevOpsPlanID: 999, BuildIndex: 1, StageID: 1 },
    { DevOpsPlanID: planId, BuildIndex: 9, StageID: 1 },
    { DevOpsPlanID: planId, BuildIndex: 1, StageID: 9 }
  ]) {
    const res = await ask(q)
    t.equal(res.statusCode, 404)
    t.equal(res.json().ErrorCode, 1002, JSON.stringify(q))
  }
  for (const StageID of ['abc', '0', '-1']) {
    const res = await ask({ DevOpsPlanID: planId, BuildIndex: 1, StageID })
    t.equal(res.json().ErrorCode, 1001, `StageID ${StageID}`)
  }
  t.match((await ask({ DevOpsPlanID: String(planId), BuildIndex: '1', StageID: '1' })).json(), { ErrorCode: 1000, StageID: 1, Error: '', Log: '', Truncated: false })
})

t.test('a stage the pipeline itself reported failed (Build/update) is captured when the poller sees it in Jenkins', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'stage-view+blue-ocean')
  const run = await started(app, jenkins, planId)
  await tickLater(app)
  jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'FAILURE' }], { finish: false })
  for (const [name, status] of [['Build', 'success'], ['Test', 'failed']]) {
    t.equal((await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: name, Status: status })).json().ErrorCode, 1000)
  }
  t.match(await stageLog(app, planId, 'Test'), { Error: '', Log: '' }, 'nothing before the poller asked Jenkins')
  await tickLater(app)
  t.match(await stageLog(app, planId, 'Test'), { Error: 'script returned exit code 1', Log: /not ok 2 - Test checks/ })
})

t.test('retention deletes a build with its captured logs (no row left behind, no foreign key in the way)', async (t) => {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, POLL_INTERVAL_MS: '50', RETAIN_BUILDS: '1' } })
  const { planId } = await seedPlan(app)
  for (let i = 0; i < 2; i++) {
    const run = await started(app, jenkins, planId)
    await tickLater(app)
    jenkins.playPipeline(run, [{ name: 'Test', result: 'FAILURE' }])
    await tickLater(app)
  }
  t.equal((await app.db.selectFrom('stage_logs').select('build_id').execute()).length, 2)
  t.match(await app.retention.runOnce(), { builds: 1 })
  t.equal((await app.db.selectFrom('stage_logs').select('build_id').execute()).length, 1, 'the pruned build\'s log went with it')
  t.match(await stageLog(app, planId, 'Test', 2), { Error: 'script returned exit code 1' })
})
