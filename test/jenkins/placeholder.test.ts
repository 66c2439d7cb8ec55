import t from 'tap'
import { appWithBuilds, buildInfo, stageList, tickLater } from '../helper.js'
import { build, fakeJenkins, post, seedPlan } from '../helper.js'

// Graph view shows the run's start as a stage "System Generated" (placeholder: true) while no
// stage exists yet; it is never a stage of ours. A stored stage that is not final and that the
// completed run no longer reports ends Aborted with the reason (review S-M2).

async function graphApp (t: Parameters<typeof build>[0], opts: Parameters<typeof fakeJenkins>[1] = {}) {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view', ...opts })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  return { app, jenkins, planId, run }
}

t.test('the placeholder is never recorded; the real stages are', async (t) => {
  const { app, jenkins, planId, run } = await graphApp(t)
  await tickLater(app)
  t.same(await stageList(app, planId), [], 'waiting for an agent: no stage')
  t.equal((await buildInfo(app, planId)).Status, 'Running')
  jenkins.playPipeline(run, ['Checkout SCM', 'Build'])
  await tickLater(app)
  t.same((await stageList(app, planId)).map((s) => [s.StageName, s.Status]), [['Checkout SCM', 'Pass'], ['Build', 'Pass']])
  t.equal((await buildInfo(app, planId)).Status, 'Pass')
})

t.test('an early failure with only the placeholder becomes the build\'s Reason', async (t) => {
  const { app, jenkins, planId, run } = await graphApp(t)
  jenkins.finish(run, 'FAILURE')
  await tickLater(app)
  t.same(await stageList(app, planId), [])
  t.match(await buildInfo(app, planId), { Status: 'Fail', Detail: { Reason: /failed before any stage/ } })
})

// Releases before 529 have no placeholder field: an early failure shows the run's start as a
// stage "Unhandled Exception" of type PIPELINE_START (FlowNodeWrapper.getDisplayName at tag 519).
for (const opts of [{ graphViewUrl: 'pipeline-console' }, { graphViewUrl: 'pipeline-overview', graphViewRelease: 528 }] as const) {
  t.test(`an early failure on graph view ${opts.graphViewUrl} (release ≤ 528) records no stage and keeps the Reason`, async (t) => {
    const { app, jenkins, planId, run } = await graphApp(t, opts)
    await tickLater(app)
    t.same(await stageList(app, planId), [], 'no stage yet')
    jenkins.finish(run, 'FAILURE')
    await tickLater(app)
    t.same(await stageList(app, planId), [], 'no "Unhandled Exception" stage')
    t.match(await buildInfo(app, planId), { Status: 'Fail', Detail: { Reason: /failed before any stage.*Unhandled Exception/ } })
  })
}

t.test('a stage the completed run no longer reports ends Aborted with a reason', async (t) => {
  const { app, jenkins, planId, run } = await graphApp(t)
  jenkins.playPipeline(run, ['Build', { name: 'Ghost', result: 'running' }], { finish: false })
  await tickLater(app)
  t.equal((await stageList(app, planId))[1].Status, 'Running')
  run.stages = run.stages.filter((s) => s.name !== 'Ghost')
  jenkins.finish(run, 'SUCCESS')
  await tickLater(app)
  const ghost = (await stageList(app, planId))[1]
  t.match(ghost, { StageName: 'Ghost', Status: 'Aborted', Detail: { Reason: /no longer reports/ } })
  t.equal((await buildInfo(app, planId)).Status, 'Pass')
})

t.test('wfapi instances are untouched by the placeholder rule', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1)
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, ['Build'])
  await tickLater(app)
  t.same((await stageList(app, planId)).map((s) => s.StageName), ['Build'])
})
