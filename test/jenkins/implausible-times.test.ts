import t from 'tap'
import { appWithBuilds, buildInfo, stageList, tickLater } from '../helper.js'
import type { FakeJenkinsOptions } from '../fixtures/fake-jenkins.js'

// Times from Jenkins are stored only when they are times (2000–2100): a startTimeMillis of 1e300 from a stage
// API (graph view, wfapi, Blue Ocean) or a run's start in wfapi was served as 1e+297 on SQLite and failed every
// poll of that build on MariaDB (BIGINT); it is not used now (the write path records when the poll saw the
// change, as for a time Jenkins does not give), and the build is followed to its end.

const FIRST = Date.UTC(2000, 0, 1) / 1000
const LAST = Date.UTC(2100, 0, 1) / 1000

const installs: Array<[string, FakeJenkinsOptions]> = [
  ['graph view', { flavor: 'graph-view' }],
  ['stage view', { flavor: 'stage-view', blueOcean: false }],
  ['stage view + Blue Ocean', { flavor: 'stage-view' }]
]

for (const [install, opts] of installs) {
  t.test(`${install}: times of 1e300 are not used, the build is followed to its end`, async (t) => {
    const { app, jenkins, planId } = await appWithBuilds(t, 1, {}, opts)
    const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
    const started = run.timestamp
    const corrupt = (): void => {
      const [buildStage, test] = run.stages
      buildStage.durationMillis = 1e300 // Build ended: its end is no time
      test.startTimeMillis = 1e300 // Test: its start is no time
      run.timestamp = 1e300 // the run's start (wfapi) and api/json's timestamp
    }
    jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    corrupt()
    const times = async (): Promise<Array<number | null>> => {
      const b = await buildInfo(app, planId)
      return [b.StartTime, b.EndTime, ...(await stageList(app, planId)).flatMap((s) => [s.StartTime, s.EndTime])]
    }
    await tickLater(app)
    t.same((await stageList(app, planId)).map((s) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Running']])
    for (const time of await times()) t.ok(time == null || (time >= FIRST && time <= LAST), `${String(time)} is a time or null`)

    run.timestamp = started
    jenkins.playPipeline(run, ['Build', 'Test'])
    corrupt()
    await tickLater(app)
    t.equal((await buildInfo(app, planId)).Status, 'Pass')
    t.same((await stageList(app, planId)).map((s) => s.Status), ['Pass', 'Pass'])
    for (const time of await times()) t.ok(time == null || (time >= FIRST && time <= LAST), `${String(time)} is a time or null`)
  })
}
