import t from 'tap'
import { build, buildInfo, fakeJenkins, get, post, seedPlan } from '../helper.js'
import type { FakeJenkins } from '../fixtures/fake-jenkins.js'

// Discovery reads back to its mark however many runs came in, starts over when a job's numbers
// went back (a recreated job), and matches a queue id to our builds only for builds recorded
// before the run and without a run of their own (Jenkins reuses ids after losing queue.xml).

const run = (jenkins: FakeJenkins, job: string, opts: Parameters<FakeJenkins['startRun']>[1]) => jenkins.startQueued(jenkins.startRun(job, opts).id)
const total = async (app: Parameters<typeof get>[0], planId: number): Promise<number> => (await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount

async function setup (t: Parameters<typeof build>[0]) {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Nightly', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, 'Nightly')
  await app.discovery.runOnce() // first sighting: the mark
  return { app, jenkins, planId }
}

t.test('25 runs between two reads: 25 builds', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  for (let i = 0; i < 25; i++) jenkins.finish(run(jenkins, 'Nightly', { cause: 'timer' }), 'SUCCESS')
  t.match(await app.discovery.runOnce(), { imported: 25 })
  t.equal(await total(app, planId), 25)
})

t.test('a job recreated: its numbers start again and its runs are imported', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  for (let i = 0; i < 5; i++) jenkins.finish(run(jenkins, 'Nightly', { cause: 'timer' }), 'SUCCESS')
  t.match(await app.discovery.runOnce(), { imported: 5 })
  jenkins.recreateJob('Nightly')
  await app.discovery.runOnce()
  for (let i = 0; i < 3; i++) jenkins.finish(run(jenkins, 'Nightly', { cause: 'scm' }), 'SUCCESS')
  await app.discovery.runOnce()
  t.equal(await total(app, planId), 8, 'runs 1–3 of the new job imported')
  t.match(await buildInfo(app, planId, 8), { Source: 'jenkins', JenkinsBuildNumber: 3, Cause: 'Started by an SCM change' })
})

t.test('a queue id reused after Jenkins lost queue.xml does not make a timer run ours', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const ours = jenkins.lastQueueItem()?.id as number
  jenkins.finish(jenkins.startQueued(ours), 'SUCCESS')
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 1)).JenkinsBuildNumber, 1)
  await app.discovery.runOnce()
  jenkins.resetQueueIds(ours) // a crash before Queue.Saver wrote queue.xml
  const timer = run(jenkins, 'Nightly', { cause: 'timer' })
  t.equal(timer.queueId, ours)
  t.match(await app.discovery.runOnce(), { imported: 1 })
  t.match(await buildInfo(app, planId, 2), { Source: 'jenkins', Cause: 'Started by timer', JenkinsBuildNumber: timer.number })
})

t.test('a job recreated after our own build ran as #1: the new job\'s run #1 started by Jenkins is imported', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  jenkins.finish(jenkins.startQueued(jenkins.lastQueueItem()?.id as number), 'SUCCESS')
  await app.poller.runOnce()
  t.match(await buildInfo(app, planId, 1), { Source: 'api', JenkinsBuildNumber: 1 })
  t.match(await app.discovery.runOnce(), { imported: 0 }, 'our own run is not imported again')
  jenkins.recreateJob('Nightly')
  await app.discovery.runOnce()
  const timer = run(jenkins, 'Nightly', { cause: 'timer' })
  t.equal(timer.number, 1)
  t.match(await app.discovery.runOnce(), { imported: 1 })
  t.match(await buildInfo(app, planId, 2), { Source: 'jenkins', JenkinsBuildNumber: 1, Cause: 'Started by timer' })
  t.match(await buildInfo(app, planId, 1), { Source: 'api', JenkinsBuildNumber: 1, Status: 'Pass' }, 'ours unchanged')
})
