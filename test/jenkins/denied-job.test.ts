import t from 'tap'
import { buildInfo, stageList, tickLater, twoStartedRuns } from '../helper.js'

// A folder's authorization strategy that denies Item.READ on one job answers 403 for every URL under it: graph
// view, wfapi and the run's api/json alike. Jenkins itself answers, so that build backs off alone; the other
// builds of the instance are polled every tick and /readyz stays ok.

for (const flavor of ['graph-view', 'stage-view', 'none'] as const) {
  t.test(`${flavor}: a job denied as a whole backs off alone, the instance is not paused`, async (t) => {
    const { jenkins, app, a, b, runA, runB } = await twoStartedRuns(t, { flavor })
    jenkins.playPipeline(runA, [{ name: 'Build', result: 'running' }], { finish: false })
    jenkins.playPipeline(runB, [{ name: 'Build', result: 'running' }], { finish: false })
    await tickLater(app)

    jenkins.denyJob('A')
    const underA = (): number => jenkins.countRequests((r) => r.path.startsWith('/job/A/') || r.path.includes('/pipelines/A/'))
    const underB = (): number => jenkins.countRequests((r) => r.path.startsWith('/job/B/'))
    const seenA: number[] = []
    for (let i = 0; i < 5; i++) {
      const [beforeA, beforeB] = [underA(), underB()]
      const report = await tickLater(app)
      t.ok(underB() > beforeB, `tick ${i + 1}: B polled`)
      t.ok(report.claimed >= 1)
      seenA.push(underA() - beforeA)
      t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: 'ok' } }, 'the instance is not failing')
    }
    t.ok(seenA.filter((n) => n > 0).length < 5, `A backs off (${seenA.join(',')} requests per tick)`)
    t.equal((await buildInfo(app, a.planId)).Status, 'Running')

    jenkins.playPipeline(runB, ['Build'])
    await tickLater(app)
    t.equal((await buildInfo(app, b.planId)).Status, 'Pass', 'B followed to its end while A is denied')

    jenkins.denyJob('A', false)
    jenkins.playPipeline(runA, ['Build'])
    for (let i = 0; i < 6 && (await buildInfo(app, a.planId)).Status !== 'Pass'; i++) await tickLater(app)
    t.equal((await buildInfo(app, a.planId)).Status, 'Pass', 'A followed again once readable')
    t.same((await stageList(app, a.planId)).map((s) => s.Status), flavor === 'none' ? [] : ['Pass'], 'its stages, where Jenkins has a stage API')
  })
}

// With no stage API the run's api/json is all there is: one run answering 500 there is that run's
// problem while Jenkins itself answers, as a stage API failing for one run is on the other installs.
t.test('none: one run whose api/json answers 500 backs off alone; the instance is not paused', async (t) => {
  const { jenkins, app, a, b, runA, runB } = await twoStartedRuns(t, { flavor: 'none' })
  jenkins.playPipeline(runA, [{ name: 'Build', result: 'running' }], { finish: false })
  jenkins.playPipeline(runB, [{ name: 'Build', result: 'running' }], { finish: false })
  await tickLater(app)
  jenkins.failNext(/^\/job\/A\/\d+\/api\/json$/, { status: 500, times: 1000 })
  const underA = (): number => jenkins.countRequests((r) => r.path.startsWith('/job/A/'))
  const underB = (): number => jenkins.countRequests((r) => r.path.startsWith('/job/B/'))
  const seenA: number[] = []
  for (let i = 0; i < 5; i++) {
    const [beforeA, beforeB] = [underA(), underB()]
    await tickLater(app)
    t.ok(underB() > beforeB, `tick ${i + 1}: B polled`)
    seenA.push(underA() - beforeA)
    t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: 'ok' } }, 'the instance is not failing')
  }
  t.ok(seenA.filter((n) => n > 0).length < 5, `A backs off (${seenA.join(',')} requests per tick)`)
  jenkins.playPipeline(runB, ['Build'])
  await tickLater(app)
  t.equal((await buildInfo(app, b.planId)).Status, 'Pass', 'B followed to its end meanwhile')
  t.equal((await buildInfo(app, a.planId)).Status, 'Running')
})
