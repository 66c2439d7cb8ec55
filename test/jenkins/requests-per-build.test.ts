import t from 'tap'
import type { FakeJenkinsOptions, StageSpec } from '../fixtures/fake-jenkins.js'
import { build, fakeJenkins, post, seedPlan, tickLater } from '../helper.js'

// Measures (and bounds) the poller's Jenkins traffic over the whole life of 100 builds, per install
// flavor: queued for a tick, then 3 stages over 3 ticks, then finished. Each running build costs one
// request per tick when nothing changed. The figures are printed as `# …` lines for the closing note.

const FLAVORS: Array<{ name: string, opts: FakeJenkinsOptions, bound: number }> = [
  { name: 'graph-view', opts: { flavor: 'graph-view' }, bound: 7.1 },
  // releases before 777: the instance's URL is probed once, then remembered
  { name: 'graph-view (pipeline-overview)', opts: { flavor: 'graph-view', graphViewUrl: 'pipeline-overview' }, bound: 7.1 },
  { name: 'graph-view (pipeline-graph)', opts: { flavor: 'graph-view', graphViewUrl: 'pipeline-graph' }, bound: 7.1 },
  { name: 'stage-view+blue-ocean', opts: { flavor: 'stage-view', blueOcean: true }, bound: 10.1 },
  { name: 'stage-view', opts: { flavor: 'stage-view', blueOcean: false }, bound: 7.1 },
  { name: 'none', opts: { flavor: 'none' }, bound: 6.1 }
]

// each step leaves one more stage running; the last finishes the run
const STEPS: StageSpec[][] = [
  [{ name: 'Build', result: 'running' }],
  ['Build', { name: 'Test', result: 'running' }],
  ['Build', 'Test', { name: 'Deploy', result: 'running' }],
  ['Build', 'Test', 'Deploy']
]

for (const flavor of FLAVORS) {
  t.test(`Jenkins requests per build over 100 builds: ${flavor.name}`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t, flavor.opts)
    jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env: { ...env, POLL_INTERVAL_MS: '1000' } })
    const { planId } = await seedPlan(app)
    for (let i = 0; i < 100; i++) await post(app, '/Build/add', { DevOpsPlanID: planId })
    const before = jenkins.requests.length
    t.match(await tickLater(app), { claimed: 100, requests: 100 }, 'all waiting in the queue: one request each')
    const runs = [...jenkins.queue.values()].map((q) => jenkins.startQueued(q.id))
    let steady = 0
    let steadyCounts: Record<string, number> = {}
    for (const [i, spec] of STEPS.entries()) {
      for (const r of runs) jenkins.playPipeline(r, spec, { finish: i === STEPS.length - 1 })
      const tick = await tickLater(app)
      if (i === STEPS.length - 1) t.equal(tick.finished, 100)
      if (i === 1) {
        // nothing moved in Jenkins: the steady state, measured apart from the life
        const mark = jenkins.requests.length
        t.match(await tickLater(app), { claimed: 100, requests: 100 }, 'a tick where nothing changed: one request per running build')
        steady = jenkins.requests.length - mark
        steadyCounts = jenkins.requestCounts(mark)
      }
    }
    t.match(await tickLater(app), { claimed: 0, requests: 0 }, 'finished builds cost nothing')
    const total = jenkins.requests.length - before - steady
    const perBuild = total / 100
    const byKind = Object.entries(jenkins.requestCounts(before)).map(([k, v]) => `${k.replace(/^GET /, '')} ${v - (steadyCounts[k] ?? 0)}`).join(', ')
    t.comment(`${flavor.name}: ${total} Jenkins requests for 100 builds with 3 stages over their life = ${perBuild} per build (steady tick: ${steady / 100} per build); ${byKind}`)
    t.ok(perBuild <= flavor.bound, `${perBuild} requests per build (bound ${flavor.bound})`)
  })
}
