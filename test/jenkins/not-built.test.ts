import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { build, buildInfo, fakeJenkins, post, seedPlan, stageList, tickLater } from '../helper.js'

// abortPrevious, a milestone or a lock interrupt a running build with Result.NOT_BUILT: what had
// started is Aborted with Detail.JenkinsResult "NOT_BUILT"; only what never ran is Skipped (S-M4).

for (const flavor of ['graph-view', 'stage-view'] as const) {
  t.test(`${flavor}: a superseded run and its interrupted stage are Aborted, NOT_BUILT kept`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t, { flavor })
    jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env })
    const { planId } = await seedPlan(app)
    await post(app, '/Build/add', { DevOpsPlanID: planId })
    const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
    jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }, 'Deploy'], { finish: false })
    await tickLater(app)
    jenkins.supersede(run)
    await tickLater(app)
    t.match(await buildInfo(app, planId), { Status: 'Aborted', Detail: { JenkinsResult: 'NOT_BUILT' } })
    const stages = await stageList(app, planId)
    t.match(stages.find((s) => s.StageName === 'Build'), { Status: 'Pass' })
    t.match(stages.find((s) => s.StageName === 'Test'), { Status: 'Aborted', Detail: { JenkinsResult: 'NOT_BUILT' } })
  })
}

t.test('webhook: COMPLETED NOT_BUILT on a running build is Aborted with JenkinsResult', async (t) => {
  const SECRET = 'hook-secret-123-0123456789abcdefghij'
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, WEBHOOK_TOKEN: SECRET } })
  const { planId } = await seedPlan(app)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const queueId = jenkins.lastQueueItem()?.id as number
  jenkins.startQueued(queueId)
  const reply = await app.inject({
    method: 'POST',
    url: `${API_PREFIX}/Webhook/jenkins?token=${SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'Test', url: 'job/Test/', build: { full_url: `${jenkins.baseUrl}/job/Test/1/`, number: 1, queue_id: queueId, phase: 'COMPLETED', status: 'NOT_BUILT', url: 'job/Test/1/' } })
  })
  t.equal(reply.json().ErrorCode, 1000)
  t.match(await buildInfo(app, planId), { Status: 'Aborted', Detail: { JenkinsResult: 'NOT_BUILT' } })
})

// the contract's Jenkinsfile reports currentBuild.currentResult from post { always }: a superseded
// run sends its own NOT_BUILT through Build/update, which must not read as "never ran"
t.test('Build/update: the build\'s own NOT_BUILT is Aborted with JenkinsResult; a stage\'s stays Skipped', async (t) => {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const update = async (body: Record<string, unknown>) =>
    (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, ...body })).json().ErrorCode
  t.equal(await update({ StageName: 'Build', Status: 'success' }), 1000)
  t.equal(await update({ StageName: 'Deploy', Status: 'NOT_BUILT' }), 1000)
  t.equal(await update({ StageName: '', Status: 'NOT_BUILT', Detail: { Note: 'superseded' } }), 1000)
  t.match(await buildInfo(app, planId), { Status: 'Aborted', Detail: { JenkinsResult: 'NOT_BUILT', Note: 'superseded' } })
  t.match((await stageList(app, planId)).find((s) => s.StageName === 'Deploy'), { Status: 'Skipped' }, 'a stage reported NOT_BUILT never ran')
})
