import t from 'tap'
import { build, buildInfo, fakeJenkins, get, post, seedPlan } from '../helper.js'
import type { FakeJenkins } from '../fixtures/fake-jenkins.js'

const isDiscovery = (job: string) => (r: { path: string, query: URLSearchParams }) =>
  r.path === `/job/${job}/api/json` && (r.query.get('tree') ?? '').startsWith('nextBuildNumber')
/** A run Jenkins starts by itself, out of the queue and running. */
const run = (jenkins: FakeJenkins, job: string, opts: Parameters<FakeJenkins['startRun']>[1]) => jenkins.startQueued(jenkins.startRun(job, opts).id)
const total = async (app: Parameters<typeof get>[0], planId: number): Promise<number> => (await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount

t.test('runs Jenkins starts itself become builds: no backfill, once each, followed to the end; ours and replays', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Nightly', parameters: { Branch: 'main', DevOpsPlanID: '', BuildIndex: '' } })
  const old = run(jenkins, 'Nightly', { cause: 'timer' })
  jenkins.finish(old, 'SUCCESS')
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, 'Nightly')

  const first = await app.discovery.runOnce()
  t.match(first, { jobs: 1, requests: 1, imported: 0 })
  t.equal(await total(app, planId), 0, 'a run from before the first sighting is never imported')

  const timer = run(jenkins, 'Nightly', { cause: 'timer' })
  t.match(await app.discovery.runOnce(), { imported: 1 })
  t.match(await buildInfo(app, planId, 1), {
    BuildIndex: 1,
    Status: 'Running',
    Source: 'jenkins',
    Cause: 'Started by timer',
    StartedBy: null,
    RebuildOf: null,
    JobName: 'Nightly',
    JenkinsBuildNumber: timer.number,
    JenkinsURL: /\/job\/Nightly\/2\/$/,
    Parameter: { parameter: [{ name: 'Branch', value: 'main' }] }
  })
  t.match(await app.discovery.runOnce(), { imported: 0 })
  t.equal(await total(app, planId), 1, 'imported once')
  jenkins.finish(timer, 'SUCCESS')
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 1)).Status, 'Pass', 'the poller followed it to its end')

  // a build we started is ours: not imported again
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 2)
  const ours = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  t.match(await app.discovery.runOnce(), { imported: 0 })
  t.equal(await total(app, planId), 2)
  jenkins.finish(ours, 'SUCCESS')
  await app.poller.runOnce()
  const original = await buildInfo(app, planId, 2)

  // a replay carries our DevOpsPlanID/BuildIndex: a new build, the original untouched
  const replay = run(jenkins, 'Nightly', { cause: 'replay', replayOf: ours.number })
  t.match(await app.discovery.runOnce(), { imported: 1 })
  t.match(await buildInfo(app, planId, 3), {
    Source: 'jenkins',
    Cause: `Started by user ${jenkins.user}; Replayed #${ours.number}`,
    JenkinsBuildNumber: replay.number,
    Parameter: { parameter: [{ name: 'Branch', value: 'main' }, { name: 'DevOpsPlanID', value: String(planId) }, { name: 'BuildIndex', value: '2' }] }
  })
  jenkins.finish(replay, 'FAILURE')
  await app.poller.runOnce()
  t.same(await buildInfo(app, planId, 2), original, 'the original build is untouched by its replay')
  t.equal((await buildInfo(app, planId, 3)).Status, 'Fail')

  // a second plan watching the job; a run older than every plan is never imported; a person clicking "Build" reaches both plans
  const p = (await post(app, '/Product/add', { ProductName: 'Other' })).json()
  const plan2 = (await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: 'Second', JobName: 'Nightly' })).json().DevOpsPlanID
  const before = run(jenkins, 'Nightly', { cause: 'scm' })
  before.timestamp = Date.now() - 3_600_000 // started an hour before the plans existed
  const user = run(jenkins, 'Nightly', { cause: 'user', userId: 'alice' })
  t.match(await app.discovery.runOnce(), { requests: 1, imported: 2 })
  const causes = async (plan: number, n: number) => await Promise.all(Array.from({ length: n }, async (_, i) => (await buildInfo(app, plan, i + 1)).Cause))
  t.same(await causes(planId, 4), ['Started by timer', null, `Started by user ${jenkins.user}; Replayed #${ours.number}`, 'Started by user alice'])
  t.equal(await total(app, planId), 4, 'the run older than the plan was skipped')
  // Build/list tells them apart too (the dashboard's Source column reads it)
  t.same((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().BuildList.map((b: { Source: string, Cause: string | null }) => [b.Source, b.Cause]),
    [['jenkins', 'Started by user alice'], ['jenkins', `Started by user ${jenkins.user}; Replayed #${ours.number}`], ['api', null], ['jenkins', 'Started by timer']])
  t.equal(await total(app, plan2), 1)
  t.match(await buildInfo(app, plan2, 1), { Cause: 'Started by user alice', JenkinsBuildNumber: user.number, Source: 'jenkins' })
  t.equal(jenkins.countRequests(isDiscovery('Nightly')), 6, 'one request per tick for the job, however many plans watch it')
})

t.test('DISCOVER_BUILDS=false: no request, nothing recorded', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Nightly', parameters: null })
  const app = await build(t, { env: { ...env, DISCOVER_BUILDS: 'false' } })
  const { planId } = await seedPlan(app, 'Nightly')
  await app.discovery.runOnce()
  run(jenkins, 'Nightly', { cause: 'timer' })
  t.match(await app.discovery.runOnce(), { requests: 0, imported: 0 })
  t.equal(jenkins.countRequests(isDiscovery('Nightly')), 0)
  t.equal(await total(app, planId), 0)
})

t.test('200 watched jobs: at most 200 requests per tick, exactly one per job when nothing is new', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  const app = await build(t, { env })
  const p = (await post(app, '/Product/add', { ProductName: 'Many' })).json()
  const plans: number[] = []
  for (let i = 0; i < 200; i++) {
    jenkins.addJob({ name: `Job${i}`, parameters: null })
    plans.push((await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: `P${i}`, JobName: `Job${i}` })).json().DevOpsPlanID)
  }
  const perJob = (since: number) => Array.from({ length: 200 }, (_, i) => jenkins.countRequests(isDiscovery(`Job${i}`), since))
  for (let tick = 0; tick < 3; tick++) {
    const since = jenkins.requests.length
    const report = await app.discovery.runOnce()
    t.equal(jenkins.requests.length - since, 200, `tick ${tick}: 200 requests`)
    t.same(perJob(since), Array(200).fill(1), `tick ${tick}: one per job`)
    t.equal(report.imported, 0)
  }
  for (let i = 0; i < 200; i += 4) run(jenkins, `Job${i}`, { cause: 'timer' })
  const since = jenkins.requests.length
  t.match(await app.discovery.runOnce(), { requests: 200, imported: 50 })
  t.ok(jenkins.requests.length - since <= 200, 'new runs cost no extra request')
  t.same(perJob(since), Array(200).fill(1))
  t.equal(await total(app, plans[4]), 1)
  t.equal(await total(app, plans[5]), 0)
})

t.test('a webhook notification of a replay carrying our parameters never rewrites the original', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, WEBHOOK_TOKEN: 'hook-secret-0123456789abcdef0123456789abcdef' } })
  const { planId } = await seedPlan(app)
  await app.discovery.runOnce()
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const ours = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.finish(ours, 'SUCCESS')
  await app.poller.runOnce()
  const original = await buildInfo(app, planId, 1)
  const replay = jenkins.startRun('Test', { cause: 'replay', replayOf: ours.number })
  const run2 = jenkins.startQueued(replay.id)
  const hook = await post(app, '/Webhook/jenkins?token=hook-secret-0123456789abcdef0123456789abcdef', {
    name: 'Test',
    url: 'job/Test/',
    build: {
      full_url: `${jenkins.baseUrl}/job/Test/${run2.number}/`,
      number: run2.number,
      queue_id: replay.id,
      phase: 'COMPLETED',
      status: 'FAILURE',
      url: `job/Test/${run2.number}/`,
      parameters: { DevOpsPlanID: String(planId), BuildIndex: '1' }
    }
  })
  t.equal(hook.json().ErrorCode, 1000)
  t.same(await buildInfo(app, planId, 1), original, 'the original is untouched')
  // the notification went to the replay's own build, recorded under the run's key: discovery does not double it
  t.match(await buildInfo(app, planId, 2), { Source: 'jenkins', JenkinsBuildNumber: run2.number, Status: 'Fail' })
  t.match(await app.discovery.runOnce(), { imported: 0 })
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 2)
})
