import t from 'tap'
import { build, buildInfo, fakeJenkins, post, seedPlan, stageList, tickLater } from '../helper.js'
import type { GraphViewUrl } from '../fixtures/fake-jenkins.js'

// Pipeline Graph View moved its run action's URL between releases (pipeline-console → pipeline-overview at 520,
// → stages at 777). An instance updated while the service follows it answers 404 at the URL remembered: the
// other URLs are tried for a run that exists, instead of concluding the plugin is gone for PROBE_TTL_MS.

const upgrades: Array<[GraphViewUrl, GraphViewUrl, string]> = [
  ['pipeline-overview', 'stages', 'graph-view'],
  ['pipeline-console', 'pipeline-overview', 'graph-view (pipeline-overview/tree)']
]

for (const [from, to, shown] of upgrades) {
  t.test(`graph view updated from ${from} to ${to}: the next build gets its stages on the next tick`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view', graphViewUrl: from })
    jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env })
    const { planId } = await seedPlan(app)
    await post(app, '/Build/add', { DevOpsPlanID: planId })
    const first = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
    jenkins.playPipeline(first, ['Build', 'Test'])
    await tickLater(app)
    t.equal((await buildInfo(app, planId, 1)).Status, 'Pass')

    jenkins.restartWithGraphView(to)
    await post(app, '/Build/add', { DevOpsPlanID: planId })
    const second = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
    jenkins.playPipeline(second, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    await tickLater(app)
    t.same((await stageList(app, planId, 2)).map((s) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Running']])
    t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: 'ok', stages: shown } })

    const since = jenkins.requests.length
    await tickLater(app)
    t.same(jenkins.requestCounts(since), { [`GET /job/Test/N/${to}/tree`]: 1 }, 'the new URL is remembered')
    jenkins.playPipeline(second, ['Build', 'Test'])
    await tickLater(app)
    t.equal((await buildInfo(app, planId, 2)).Status, 'Pass')
    t.same((await stageList(app, planId, 2)).map((s) => s.Status), ['Pass', 'Pass'])
  })
}
