import t from 'tap'
import type { FakeJenkinsOptions, StageSpec } from '../fixtures/fake-jenkins.js'
import { build, fakeJenkins, post, seedPlan, tickLater } from '../helper.js'

// requests-per-build.test.ts for builds whose last stage fails: the same life (queued for a tick,
// then 3 stages over 3 ticks), plus what capturing the failed stage's error and log costs, once
// per build (Stage/log). Apart from it so each file stays within tap's timeout on MariaDB.

const BUILDS = 50
// `bound`: requests-per-build.test.ts's bound for builds that pass, plus the capture (graph view:
// steps, exceptionText, log; wfapi: the node, its step's log; Blue Ocean: the node's log, plus the
// nodes asked once more because a failure may have skipped stages), plus 0.1: over 50 builds the
// instance's one-time probe weighs 0.04 per build instead of 0.02
const FLAVORS: Array<{ name: string, opts: FakeJenkinsOptions, bound: number }> = [
  { name: 'graph-view', opts: { flavor: 'graph-view' }, bound: 7.1 + 3 + 0.1 },
  { name: 'stage-view+blue-ocean', opts: { flavor: 'stage-view', blueOcean: true }, bound: 10.1 + 2 + 0.1 },
  { name: 'stage-view', opts: { flavor: 'stage-view', blueOcean: false }, bound: 7.1 + 2 + 0.1 },
  { name: 'none', opts: { flavor: 'none' }, bound: 6.1 + 0.1 }
]

const STEPS: StageSpec[][] = [
  [{ name: 'Build', result: 'running' }],
  ['Build', { name: 'Test', result: 'running' }],
  ['Build', 'Test', { name: 'Deploy', result: 'running' }],
  ['Build', 'Test', { name: 'Deploy', result: 'FAILURE' }]
]

for (const flavor of FLAVORS) {
  t.test(`Jenkins requests per build over ${BUILDS} builds whose last stage fails: ${flavor.name}`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t, flavor.opts)
    jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env: { ...env, POLL_INTERVAL_MS: '1000' } })
    const { planId } = await seedPlan(app)
    for (let i = 0; i < BUILDS; i++) await post(app, '/Build/add', { DevOpsPlanID: planId })
    const before = jenkins.requests.length
    await tickLater(app)
    const runs = [...jenkins.queue.values()].map((q) => jenkins.startQueued(q.id))
    for (const [i, spec] of STEPS.entries()) {
      for (const r of runs) jenkins.playPipeline(r, spec, { finish: i === STEPS.length - 1 })
      const tick = await tickLater(app)
      if (i === STEPS.length - 1) t.equal(tick.finished, BUILDS)
    }
    t.match(await tickLater(app), { claimed: 0, requests: 0 }, 'finished builds cost nothing, their logs included')
    const total = jenkins.requests.length - before
    const perBuild = total / BUILDS
    const byKind = Object.entries(jenkins.requestCounts(before)).map(([k, v]) => `${k.replace(/^GET /, '')} ${v}`).join(', ')
    t.comment(`${flavor.name}, last stage fails: ${total} Jenkins requests for ${BUILDS} builds = ${perBuild} per build; ${byKind}`)
    t.ok(perBuild <= flavor.bound, `${perBuild} requests per build (bound ${flavor.bound})`)
  })
}
