import t, { type Test } from 'tap'
import { build, buildInfo, fakeJenkins, get, post, seedPlan, stageList } from '../helper.js'
import type { FakeJenkins } from '../fixtures/fake-jenkins.js'

// A Rerun / Replay / Restart from Stage copies DevOpsPlanID and BuildIndex: its Jenkinsfile reports
// with the original's key. The review's scenario S-H2: build 1 (run #1) fails at Deploy; its rerun
// #2 passes and posts as build 1 would. Build 1 must stay Fail with its stages; #2 is its own build.

const total = async (app: Parameters<typeof get>[0], planId: number): Promise<number> => (await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount

async function failedOriginal (t: Test) {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 1)
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  await app.poller.runOnce()
  // the original's own Jenkinsfile reports, then Jenkins ends it
  for (const [stage, status] of [['Build', 'running'], ['Build', 'success'], ['Deploy', 'running'], ['Deploy', 'failed'], ['', 'FAILURE']]) {
    t.equal((await post(app, '/Build/update', jenkins.jenkinsfileUpdate(run, stage, status))).json().Description, 'OK')
  }
  jenkins.playPipeline(run, ['Build', { name: 'Deploy', result: 'FAILURE' }])
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 1)).Status, 'Fail')
  return { jenkins, app, planId, run }
}

async function rerunReports (t: any, jenkins: FakeJenkins, app: any, planId: number, rerun: ReturnType<FakeJenkins['startQueued']>, expectCause: RegExp) {
  // what the build recorded (MedianDuration is the plan's history, which the rerun's own build joins)
  const recorded = async (): Promise<unknown[]> => (await stageList(app, planId, 1)).map(({ MedianDuration: _, ...s }) => s)
  const before = await recorded()
  const events = (await get(app, '/Build/events', { DevOpsPlanID: planId, BuildIndex: 1 })).json()
  t.equal(rerun.params.BuildIndex, '1', 'Jenkins copied the original\'s BuildIndex')
  const answers: string[] = []
  for (const [stage, status] of [['Deploy', 'running'], ['Deploy', 'success'], ['', 'SUCCESS']]) {
    const reply = await post(app, '/Build/update', jenkins.jenkinsfileUpdate(rerun, stage, status))
    t.equal(reply.json().ErrorCode, 1000)
    answers.push(reply.json().Description)
  }
  t.equal(answers[0], `OK (applied to BuildIndex 2, Jenkins run #${rerun.number})`, 'the answer names where the update went')
  const original = await buildInfo(app, planId, 1)
  t.match(original, { Status: 'Fail', JenkinsBuildNumber: 1 }, 'the original keeps its result')
  t.same(await recorded(), before, 'and its stages')
  t.same((await get(app, '/Build/events', { DevOpsPlanID: planId, BuildIndex: 1 })).json(), events, 'and its history')
  t.match(await buildInfo(app, planId, 2), { Status: 'Pass', Source: 'jenkins', JenkinsBuildNumber: rerun.number, Cause: expectCause })
  t.match((await stageList(app, planId, 2)).map((s: any) => [s.StageName, s.Status]), [['Deploy', 'Pass']])
  // discovery sees the rerun (it carries our parameters, on another run number): never a second build,
  // and the build takes what Jenkins says of the run: its cause, parameters and URL
  await app.discovery.runOnce()
  await app.discovery.runOnce()
  t.equal(await total(app, planId), 2, 'the rerun is one build, not two')
  const cause = (rerun.causes ?? []).map((c) => c.shortDescription).join('; ')
  t.match(await buildInfo(app, planId, 2), {
    Cause: cause,
    JenkinsURL: `${jenkins.baseUrl}/job/Test/${rerun.number}/`,
    Parameter: { parameter: Object.entries(rerun.params).map(([name, value]) => ({ name, value })) }
  }, `Jenkins' own account of the run: ${cause}`)
}

t.test('a graph-view Rerun reports with the original key: its updates go to its own build', async (t) => {
  const { jenkins, app, planId, run } = await failedOriginal(t)
  await app.discovery.runOnce() // the first sighting sets discovery's mark
  const rerun = jenkins.startQueued(jenkins.startRun('Test', { cause: 'rerun', replayOf: run.number }).id)
  await rerunReports(t, jenkins, app, planId, rerun, /^Rerun of build 1$/)
})

t.test('Restart from Stage after discovery imported it: updates go to discovery\'s build', async (t) => {
  const { jenkins, app, planId, run } = await failedOriginal(t)
  await app.discovery.runOnce()
  const restart = jenkins.startQueued(jenkins.startRun('Test', { cause: 'restart', replayOf: run.number, stage: 'Deploy' }).id)
  t.match(await app.discovery.runOnce(), { imported: 1 })
  await rerunReports(t, jenkins, app, planId, restart, /Restarted from build #1, stage Deploy/)
})

t.test('the run named by Detail.URL alone, and a number given as digits, count the same', async (t) => {
  const { jenkins, app, planId, run } = await failedOriginal(t)
  const replay = jenkins.startQueued(jenkins.startRun('Test', { cause: 'replay', replayOf: run.number }).id)
  const body = jenkins.jenkinsfileUpdate(replay, '', 'SUCCESS') as { Detail: Record<string, unknown> }
  delete body.Detail.JenkinsBuildNumber
  t.equal((await post(app, '/Build/update', body)).json().Description, `OK (applied to BuildIndex 2, Jenkins run #${replay.number})`)
  t.equal((await buildInfo(app, planId, 1)).Status, 'Fail')
  // an update naming the build's own run is the build's
  t.equal((await post(app, '/Build/update', { ...jenkins.jenkinsfileUpdate(run, 'Notes', 'success') })).json().Description, 'OK')
  t.equal((await stageList(app, planId, 1)).at(-1)?.StageName, 'Notes')
  // a URL whose job part is a malformed %-escape names no job: its number alone decides (it was a 500)
  const odd = await post(app, '/Build/update', {
    DevOpsPlanID: planId,
    BuildIndex: 1,
    StageName: 'Odd',
    Status: 'success',
    Detail: { URL: `${jenkins.baseUrl}/job/%E0%A4%A/${run.number}/console` }
  })
  t.match(odd.json(), { ErrorCode: 1000, Description: 'OK' })
})

t.test('webhook: a rerun\'s notifications go to its own build; the original\'s result stays', async (t) => {
  const SECRET = 'hook-secret-123-0123456789abcdefghij'
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, WEBHOOK_TOKEN: SECRET } })
  const { planId } = await seedPlan(app)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, [{ name: 'Deploy', result: 'FAILURE' }])
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 1)).Status, 'Fail')
  const item = jenkins.startRun('Test', { cause: 'rerun', replayOf: run.number })
  const rerun = jenkins.startQueued(item.id)
  const hook = async (phase: string, status?: string) => (await app.inject({
    method: 'POST',
    url: `/TestCloud/DevOps/Webhook/jenkins?token=${SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      name: 'Test',
      url: 'job/Test/',
      build: { full_url: `${jenkins.baseUrl}/job/Test/${rerun.number}/`, number: rerun.number, queue_id: item.id, phase, url: `job/Test/${rerun.number}/`, parameters: rerun.params, ...(status == null ? {} : { status }) }
    })
  })).json()
  t.equal((await hook('STARTED')).ErrorCode, 1000)
  t.equal((await hook('COMPLETED', 'SUCCESS')).ErrorCode, 1000)
  t.equal((await buildInfo(app, planId, 1)).Status, 'Fail', 'the original keeps its result')
  t.match(await buildInfo(app, planId, 2), { Status: 'Pass', JenkinsBuildNumber: rerun.number, Source: 'jenkins' })
})
