import t from 'tap'
import { buildInfo, stageList, tickLater, twoStartedRuns } from '../helper.js'

// One run whose stage API fails (a 500 from PipelineNodeTreeVisitor, a timeout on a huge run, a 403
// from a folder's authorization) is that build's problem: it backs off, then ends from the run's
// own api/json; the other builds of the instance are polled as usual (review S-M1).

for (const failure of [500, 403, 'hang'] as const) {
  t.test(`stage API ${failure} on one run: that build ends from api/json, the other is polled every tick`, async (t) => {
    const { jenkins, app, a, b, runA, runB } = await twoStartedRuns(t, { env: { JENKINS_TIMEOUT_MS: '300' } })
    jenkins.playPipeline(runB, [{ name: 'Build', result: 'running' }], { finish: false })
    await tickLater(app) // both found, graph view probed on a healthy run
    jenkins.failStageApi(runA, failure)
    jenkins.playPipeline(runA, ['Build'])
    t.equal(runA.result, 'SUCCESS')
    const treeB = (): number => jenkins.countRequests(/^\/job\/B\/\d+\/stages\/tree$/)
    for (let i = 0; i < 4; i++) {
      const before = treeB()
      await tickLater(app)
      t.equal(treeB(), before + 1, `tick ${i + 1}: B polled`)
    }
    t.equal((await buildInfo(app, a.planId)).Status, 'Pass', 'A ended from its own api/json')
    t.equal((await buildInfo(app, b.planId)).Status, 'Running')
    t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: 'ok' } }, 'the instance is not failing')
  })
}

// A run whose stage API fails while it runs ends from its api/json: the stages last seen going cannot stay Running.
for (const [failure, result, status] of [[500, 'FAILURE', 'Fail'], ['hang', 'SUCCESS', 'Pass']] as const) {
  t.test(`stage API ${failure} while a stage runs, the run ends ${result}: build ${status}, the stage Aborted`, async (t) => {
    const { jenkins, app, a, b, runA, runB } = await twoStartedRuns(t, { env: { JENKINS_TIMEOUT_MS: '300' } })
    jenkins.playPipeline(runA, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    jenkins.playPipeline(runB, [{ name: 'Build', result: 'running' }], { finish: false })
    await tickLater(app)
    t.same((await stageList(app, a.planId)).map((s) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Running']])
    jenkins.failStageApi(runA, failure)
    await tickLater(app) // A's stage API fails while it runs: A backs off
    jenkins.playPipeline(runA, ['Build', { name: 'Test', result: result === 'FAILURE' ? 'FAILURE' : 'SUCCESS' }])
    t.equal(runA.result, result)
    const treeB = (): number => jenkins.countRequests(/^\/job\/B\/\d+\/stages\/tree$/)
    for (let i = 0; i < 4; i++) {
      const before = treeB()
      await tickLater(app)
      t.equal(treeB(), before + 1, `tick ${i + 1}: B polled`)
    }
    t.equal((await buildInfo(app, a.planId)).Status, status, 'A ended from its own api/json')
    const stages = await stageList(app, a.planId)
    t.same(stages.map((s) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Aborted']])
    t.match(stages[1].Detail.Reason, /stage API failed/)
    t.equal((await buildInfo(app, b.planId)).Status, 'Running')
  })
}
