import { sql } from 'kysely'
import t from 'tap'
import { appWithBuilds, buildInfo, DIALECT, post, stageList, tickLater } from '../helper.js'

// Issue 12 point 7: the write path's one-stage lookup and count are index reads; the poller copes with a run past the 1,000-stage cap.

t.test('the (build_id, name) lookup is served by an index', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  for (const name of ['a', 'b', 'c']) await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: name, Status: 'running' })
  const buildId = (await app.db.selectFrom('builds').select('id').executeTakeFirstOrThrow()).id
  const explain = DIALECT === 'sqlite' ? sql`explain query plan` : sql`explain`
  const plan = (await sql<Record<string, unknown>>`${explain} select * from stages where build_id = ${buildId} and name = ${'b'}`.execute(app.db)).rows
  if (DIALECT === 'sqlite') {
    t.match(plan.map((r) => r.detail).join('\n'), /SEARCH stages USING INDEX \S+ \(build_id=\? AND name=\?\)/, JSON.stringify(plan))
  } else {
    t.equal(plan[0].key, 'stages_build_name_uq', JSON.stringify(plan))
  }
  const tally = await sql<Record<string, unknown>>`${explain} select max(stage_id) from stages where build_id = ${buildId}`.execute(app.db)
  const text = JSON.stringify(tally.rows)
  t.ok(DIALECT === 'sqlite' ? /USING COVERING INDEX/.test(text) : /stages_build_(stage|name)_uq|Select tables optimized away/.test(text), `the highest StageID from an index: ${text}`)
})

t.test('the poller follows a run of more than 1,000 stages without failing: the first 1,000 are kept', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1, { POLL_INTERVAL_MS: '50' }, { flavor: 'graph-view' })
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  const spec = Array.from({ length: 1003 }, (_, i) => `S${i + 1}`)
  jenkins.playPipeline(run, spec)
  const first = await tickLater(app)
  t.equal(first.errors, 0, 'no error for the stages past the cap')
  const list = await stageList(app, planId)
  t.equal(list.length, 1000)
  t.equal(list[999].StageName, 'S1000')
  t.equal((await buildInfo(app, planId)).Status, 'Pass', 'the run\'s result is recorded all the same')
})
