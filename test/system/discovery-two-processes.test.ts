import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildInfo, fakeJenkins, freshDatabase, get, post } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'

t.test('two server processes discover each Timer, User and Replay run once', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Nightly', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const [a, b] = await Promise.all([spawnServer(t, { ...env, DATABASE_URL, POLL_INTERVAL_MS: '100' }), spawnServer(t, { ...env, DATABASE_URL, POLL_INTERVAL_MS: '100' })])
  const { ProductID } = (await post(a.url, '/Product/add', { ProductName: 'UShop' })).json()
  const { DevOpsPlanID } = (await post(b.url, '/Plan/add', { ProductID, PlanName: 'Nightly', JobName: 'Nightly' })).json()
  const discoveries = (): number => jenkins.countRequests((r) => r.path === '/job/Nightly/api/json' && (r.query.get('tree') ?? '').startsWith('nextBuildNumber'))
  const until = async (what: () => Promise<boolean> | boolean): Promise<void> => { while (!(await what())) await sleep(20) }
  // the job's first sighting is over (its watermark written) once a few ticks have read it
  await until(() => discoveries() >= 4)

  t.equal((await post(a.url, '/Build/add', { DevOpsPlanID })).json().BuildIndex, 1)
  const ours = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.startQueued(jenkins.startRun('Nightly', { cause: 'timer' }).id)
  jenkins.startQueued(jenkins.startRun('Nightly', { cause: 'user', userId: 'alice' }).id)
  jenkins.startQueued(jenkins.startRun('Nightly', { cause: 'replay', replayOf: ours.number }).id)
  const total = async (): Promise<number> => (await get(b.url, '/Build/list', { DevOpsPlanID })).json().TotalCount
  await until(async () => await total() >= 4)
  // many more ticks of both processes: nothing is imported twice
  const seen = discoveries()
  await until(() => discoveries() >= seen + 20)
  t.equal(await total(), 4, 'three runs imported once, next to our own build')
  const builds = await Promise.all([1, 2, 3, 4].map(async (i) => await buildInfo(a.url, DevOpsPlanID, i)))
  t.same(builds.map((x) => x.Source).sort(), ['api', 'jenkins', 'jenkins', 'jenkins'])
  t.same(builds.filter((x) => x.Source === 'jenkins').map((x) => x.Cause).sort(),
    [`Started by user ${jenkins.user}; Replayed #${ours.number}`, 'Started by timer', 'Started by user alice'].sort())
  t.equal(new Set(builds.map((x) => x.JenkinsBuildNumber)).size, 4)
  t.equal(builds[0].JenkinsBuildNumber, ours.number, 'our build keeps its run; the replay is a build of its own')
})
