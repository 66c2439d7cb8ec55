import t from 'tap'
import { applyProgress } from '../../src/builds/progress.js'
import { traceStatements } from '../../src/repositories/progress.js'
import { appWithBuilds, buildInfo, post, stageList, tickLater } from '../helper.js'

// The write path's statements are counted, so a change that adds one shows here. Before the write
// path read the state once and wrote it once, an update ran (same cases as below):
//   first stage, the build starts: 9   (update builds (lock), select builds, select stages ×2, insert stages,
//                                       update builds, update plans, update builds (revision), insert events)
//   a new stage: 7 · a changed stage: 6 · a repeat: 3 · predecessors by name: 8
// and the poller ran one transaction per changed stage.

t.test('the statements of one Build/update: a new stage, a changed one, a repeat that writes nothing', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  const log: string[] = []
  traceStatements((name) => log.push(name))
  t.teardown(() => { traceStatements(undefined) })
  const take = (): string[] => log.splice(0)
  const key = { planId, buildIndex: 1 }
  // the locked build with its product and highest StageID, then the stages the update names
  const read = ['select builds (lock)', 'select stages']

  await applyProgress(app.db, key, [{ stageName: 'Checkout', status: 'Pass' }])
  t.same(take(), [...read, 'insert stages', 'update builds', 'update plans', 'insert events'],
    'first stage: the build starts too (status, times and revision in one update; the plan\'s Build/list version moves)')

  await applyProgress(app.db, key, [{ stageName: 'Build', status: 'Running' }])
  t.same(take(), [...read, 'insert stages', 'update builds', 'insert events'], 'a new stage: five statements')

  await applyProgress(app.db, key, [{ stageName: 'Build', status: 'Pass', detail: { URL: 'http://jenkins/job/Test/1/' } }])
  t.same(take(), [...read, 'update stages', 'update builds', 'insert events'], 'a changed stage: five statements')

  const [repeat] = await applyProgress(app.db, key, [{ stageName: 'Build', status: 'Pass', detail: { URL: 'http://jenkins/job/Test/1/' } }])
  t.equal(repeat.changed, false)
  t.same(take(), read, 'a repeat: the two reads, nothing written')

  await applyProgress(app.db, key, [{ stageName: 'Test', status: 'Running', preStageNames: ['Checkout', 'Build'] }])
  t.same(take(), [...read, 'insert stages', 'update builds', 'insert events'],
    'predecessors by name: read with the stage itself, not every stage of the build')

  // the poller's sync of one build: every stage Jenkins shows, one transaction, one statement of each kind
  const results = await applyProgress(app.db, key, [
    { stageName: 'Test', status: 'Pass', source: 'poller' },
    { stageName: 'Deploy', status: 'Running', source: 'poller' },
    { stageName: 'Deploy', status: 'Pass', source: 'poller' },
    { stageName: 'Smoke', status: 'Fail', source: 'poller' },
    { status: 'Fail', source: 'poller' }
  ])
  t.same(results.map((r) => r.changed), [true, true, true, true, true])
  t.same(take(), [...read, 'update stages', 'insert stages', 'update builds', 'update plans', 'insert events'],
    'five updates of one build: still one read and one write of each kind (the two new stages in one insert)')

  await applyProgress(app.db, key, [{ status: 'Fail', detail: { Note: 'x' } }])
  t.same(take(), ['select builds (lock)', 'update builds', 'insert events'], 'the build\'s own Detail: no stage read')
})

t.test('the poller writes everything one poll learnt about a build in one transaction', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1, { POLL_INTERVAL_MS: '50' }, { flavor: 'graph-view' })
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, ['Checkout', 'Build', 'Test', 'Deploy'], { finish: false })
  const log: string[] = []
  traceStatements((name) => log.push(name))
  t.teardown(() => { traceStatements(undefined) })
  const tick = await tickLater(app)
  t.equal(tick.errors, 0)
  t.equal((await stageList(app, planId)).length, 4, 'four new stages and the build\'s start')
  t.same(log.filter((name) => name === 'select builds (lock)'), ['select builds (lock)'], 'one transaction')
  t.same(log.filter((name) => name === 'insert stages'), ['insert stages'], 'the four stages in one statement')
})

t.test('the run a poll finds is written with the poll\'s other changes: a cached Build/info shows it at once', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1, { POLL_INTERVAL_MS: '50' }, { flavor: 'graph-view' })
  // the pipeline said it runs before the poller found its run: the poll that finds it changes nothing else
  t.equal((await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, Status: 'running' })).json().ErrorCode, 1000)
  t.match(await buildInfo(app, planId), { Status: 'Running', JenkinsBuildNumber: null }, 'read once: now cached')
  jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  const log: string[] = []
  traceStatements((name) => log.push(name))
  t.teardown(() => { traceStatements(undefined) })
  t.equal((await tickLater(app)).errors, 0)
  t.match(await buildInfo(app, planId), { JenkinsBuildNumber: 1, JenkinsURL: /\/job\/Test\/1\/$/ }, 'not the cached answer')
  t.same(log.filter((name) => name === 'select builds (lock)'), ['select builds (lock)'], 'through the write path, once')
})
