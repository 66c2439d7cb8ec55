import t from 'tap'
import { buildInfo, build, fakeJenkins, post, seedPlan, stageList, tickLater } from '../helper.js'
import type { GraphViewUrl } from '../fixtures/fake-jenkins.js'

// Pipeline Graph View serves its tree at `stages/tree` only since release 777 (2026-02-04); the
// releases the setup wizard installed from 2024-03 serve it at pipeline-overview (520–776),
// pipeline-console (483–519) or pipeline-graph (≤ 482), with no wfapi beside it (review S-H1).

for (const release of ['pipeline-overview', 'pipeline-console', 'pipeline-graph'] as GraphViewUrl[]) {
  t.test(`graph view at ${release}/tree: stages recorded, the URL remembered, /readyz names it`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view', graphViewUrl: release })
    jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env })
    const { planId } = await seedPlan(app)
    await post(app, '/Build/add', { DevOpsPlanID: planId })
    const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
    jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    await tickLater(app)
    t.same((await stageList(app, planId)).map((s) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Running']])
    const since = jenkins.requests.length
    await tickLater(app)
    t.same(jenkins.requestCounts(since), { [`GET /job/Test/N/${release === 'pipeline-graph' ? 'pipeline-console' : release}/tree`]: 1 },
      'one request per tick, at the URL that answered')
    t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { stages: `graph-view (${release === 'pipeline-graph' ? 'pipeline-console' : release}/tree)` } })
    jenkins.playPipeline(run, ['Build', 'Test'])
    await tickLater(app)
    t.equal((await buildInfo(app, planId)).Status, 'Pass')
    t.same((await stageList(app, planId)).map((s) => s.Status), ['Pass', 'Pass'])
  })
}
