import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { appWithBuilds, buildInfo, get, post, stageList } from '../helper.js'

const T = 1_700_000_000

type StageSeed = [name: string, status: string, seconds: number | null, pre?: string[]]

/** Adds a build whose stages ran one after the other for the given seconds, then ends it (unless status is running). */
async function seedBuild (app: FastifyInstance, planId: number, status: string, stages: StageSeed[], start = T): Promise<number> {
  const added = (await post(app, '/Build/add', { DevOpsPlanID: planId })).json()
  const BuildIndex = added.BuildIndex as number
  let at = start
  for (const [StageName, s, seconds, pre] of stages) {
    const body: Record<string, unknown> = { DevOpsPlanID: planId, BuildIndex, StageName, Status: s, StartTime: at }
    if (pre != null) body.PreStageName = pre
    if (seconds != null) { body.EndTime = at + seconds; at += seconds }
    const r = (await post(app, '/Build/update', body)).json()
    if (r.ErrorCode !== 1000) throw new Error(JSON.stringify(r))
  }
  if (status !== 'running') await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex, Status: status, EndTime: at })
  return BuildIndex
}

const stats = async (app: FastifyInstance, query: Record<string, string | number>) => (await get(app, '/Stage/stats', query)).json()

t.test('Stage/stats of a seeded history, computed by hand', async (t) => {
  const { app, planId } = await appWithBuilds(t, 0)
  // Test flips (flaky), Package gets slower, Deploy is skipped or missing in some builds
  const test = [['Pass', 100], ['Fail', 30], ['Pass', 110], ['Fail', 20], ['Pass', 120], ['Pass', 130]] as const
  const pkg = [20, 20, 30, 40, 60, 80]
  const deploy: Array<StageSeed | null> = [null, ['Deploy', 'Skipped', 0], ['Deploy', 'Pass', 5], ['Deploy', 'Skipped', 0],
    ['Deploy', 'Pass', 7], ['Deploy', 'Aborted', 3]]
  const ends = ['Pass', 'Fail', 'Pass', 'Fail', 'Pass', 'Aborted']
  for (let i = 0; i < 6; i++) {
    const stages: StageSeed[] = [['Checkout', 'Pass', 10], ['Test', test[i][0], test[i][1]], ['Package', 'Pass', pkg[i]]]
    if (deploy[i] != null) stages.push(deploy[i] as StageSeed)
    await seedBuild(app, planId, ends[i], stages, T + i * 1000)
  }
  await seedBuild(app, planId, 'running', [['Checkout', 'Pass', 10], ['Test', 'Running', null]], T + 9000)

  const all = await stats(app, { DevOpsPlanID: planId })
  t.equal(all.ErrorCode, 1000)
  t.equal(all.BuildCount, 6, 'the running build is not counted')
  t.same(all.BuildIndexes, [1, 2, 3, 4, 5, 6])
  t.same(all.StageList.map((s: { StageName: string }) => s.StageName), ['Checkout', 'Test', 'Package', 'Deploy'], 'first seen')
  const [checkout, flaky, slower, deployed] = all.StageList
  t.same(checkout, { StageName: 'Checkout', Runs: 6, Pass: 6, Fail: 0, Aborted: 0, Skipped: 0, PassRate: 1, MedianDuration: 10, P90Duration: 10, Durations: [10, 10, 10, 10, 10, 10], FlipRate: 0, Flaky: false, FailedBuilds: [] })
  // passed 100, 110, 120, 130: median (110+120)/2, P90 the ⌈3.6⌉ = 4th; 4 flips over 5 steps
  t.same(flaky, { StageName: 'Test', Runs: 6, Pass: 4, Fail: 2, Aborted: 0, Skipped: 0, PassRate: 4 / 6, MedianDuration: 115, P90Duration: 130, Durations: [100, 30, 110, 20, 120, 130], FlipRate: 0.8, Flaky: true, FailedBuilds: [4, 2] })
  // 20 20 30 40 60 80: median 35, P90 the ⌈5.4⌉ = 6th
  t.same(slower, { StageName: 'Package', Runs: 6, Pass: 6, Fail: 0, Aborted: 0, Skipped: 0, PassRate: 1, MedianDuration: 35, P90Duration: 80, Durations: pkg, FlipRate: 0, Flaky: false, FailedBuilds: [] })
  t.same(deployed, { StageName: 'Deploy', Runs: 3, Pass: 2, Fail: 0, Aborted: 1, Skipped: 2, PassRate: 2 / 3, MedianDuration: 6, P90Duration: 7, Durations: [null, null, 5, null, 7, 3], FlipRate: 0, Flaky: false, FailedBuilds: [] })

  const last3 = await stats(app, { DevOpsPlanID: planId, Last: '3' })
  t.equal(last3.BuildCount, 3)
  t.same(last3.BuildIndexes, [4, 5, 6])
  t.match(last3.StageList[1], { StageName: 'Test', Runs: 3, Pass: 2, Fail: 1, MedianDuration: 125, P90Duration: 130, Durations: [20, 120, 130], FlipRate: 0.5, Flaky: false })
  t.match(last3.StageList[3], { StageName: 'Deploy', Skipped: 1, Durations: [null, 7, 3] })

  // cached by the plan's list version: a build that ends shows at once
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 7, StageName: 'Test', Status: 'Fail', EndTime: T + 9050 })
  t.equal((await stats(app, { DevOpsPlanID: planId })).BuildCount, 6, 'still running')
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 7, Status: 'Fail' })
  const after = await stats(app, { DevOpsPlanID: planId })
  t.equal(after.BuildCount, 7)
  t.same(after.StageList[1].FailedBuilds, [7, 4, 2])
  t.same(after.StageList[1].Durations, [100, 30, 110, 20, 120, 130, 40])
  t.equal(after.StageList[2].Durations.at(-1), null, 'Package did not run in build 7')
})

t.test('a stage result that arrives after its build ended reaches Stage/stats at once (the cached answer is renewed)', async (t) => {
  const { app, planId } = await appWithBuilds(t, 0)
  const BuildIndex = await seedBuild(app, planId, 'running', [['Deploy', 'running', null]])
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex, Status: 'Pass', EndTime: T + 60 })
  t.match(await stats(app, { DevOpsPlanID: planId }), { BuildCount: 1, StageList: [{ StageName: 'Deploy', Runs: 0 }] }, 'cached: Deploy had no result')
  const r = (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex, StageName: 'Deploy', Status: 'Pass', EndTime: T + 50 })).json()
  t.equal(r.ErrorCode, 1000)
  t.match(await stats(app, { DevOpsPlanID: planId }), { BuildCount: 1, StageList: [{ StageName: 'Deploy', Runs: 1, Pass: 1, Durations: [50] }] })
})

t.test('Stage/stats: unknown plan 1002, bad Last 1001, no ended build', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  const empty = await stats(app, { DevOpsPlanID: planId })
  t.match(empty, { ErrorCode: 1000, BuildCount: 0, StageList: [] })
  t.match(await stats(app, { DevOpsPlanID: 999 }), { ErrorCode: 1002 })
  for (const Last of ['0', '501', 'abc', '-1', '1.5']) {
    const r = await get(app, '/Stage/stats', { DevOpsPlanID: planId, Last })
    t.equal(r.statusCode, 400, `Last=${Last}`)
    t.equal(r.json().ErrorCode, 1001)
  }
  t.equal((await get(app, '/Stage/stats', { DevOpsPlanID: planId, Last: 500 })).statusCode, 200)
})

t.test('Build/info estimate and Stage/info MedianDuration from builds with known times', async (t) => {
  const { app, planId } = await appWithBuilds(t, 0)
  // Build (60 s) → Test (100/120/140 s) and Lint (30 s) in parallel → Deploy (10 s)
  const graph = (test: number): StageSeed[] => [['Build', 'Pass', 60], ['Test', 'Pass', test, ['Build']], ['Lint', 'Pass', 30, ['Build']],
    ['Deploy', 'Pass', 10, ['Test', 'Lint']]]
  await seedBuild(app, planId, 'Pass', graph(100))
  await seedBuild(app, planId, 'Pass', graph(140))
  await seedBuild(app, planId, 'Fail', [['Build', 'Fail', 5]])
  const running = await seedBuild(app, planId, 'running', [['Build', 'Pass', 60], ['Test', 'Running', null, ['Build']]], T + 5000)
  const realNow = Date.now
  t.teardown(() => { Date.now = realNow })
  Date.now = () => (T + 5100) * 1000
  const overviewRow = async () => (await get(app, '/Plan/overview')).json().RunningList
    .find((b: { BuildIndex: number }) => b.BuildIndex === running)
  t.match(await buildInfo(app, planId, running), { Status: 'Running', EstimatedEndTime: null, Progress: null }, 'two passed builds: no estimate')
  t.match(await overviewRow(), { EstimatedEndTime: null, Progress: null }, 'nor on the home')
  t.match((await stageList(app, planId, running))[1], { StageName: 'Test', MedianDuration: 120 }, 'medians need no minimum')

  await seedBuild(app, planId, 'Pass', graph(120))
  // Test: 120 − 40 s elapsed = 80; Lint (usual, not started) 30; Deploy 10 after both: 90 left of 190
  t.match(await buildInfo(app, planId, running), { EstimatedEndTime: T + 5190, Progress: 53 })
  t.match(await overviewRow(), { Status: 'Running', EstimatedEndTime: T + 5190, Progress: 53 }, 'the home\'s running row: the same estimate')
  Date.now = () => (T + 5300) * 1000
  t.match(await buildInfo(app, planId, running), { EstimatedEndTime: T + 5340, Progress: 88 }, 'Test past its median: Lint and Deploy left')
  t.match(await overviewRow(), { EstimatedEndTime: T + 5340, Progress: 88 }, 'the overview follows the clock without a write')
  const stages = await stageList(app, planId, running)
  t.same(stages.map((s) => [s.StageName, s.MedianDuration]), [['Build', 60], ['Test', 120]])

  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: running, Status: 'Aborted' })
  t.match(await buildInfo(app, planId, running), { Status: 'Aborted', EstimatedEndTime: null, Progress: null }, 'ended: no estimate')
  t.match(await buildInfo(app, planId, 1), { EstimatedEndTime: null, Progress: null })
})
