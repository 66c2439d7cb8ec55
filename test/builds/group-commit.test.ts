import t from 'tap'
import { applyProgress } from '../../src/builds/progress.js'
import { progressTransaction, type ProgressState, traceCommits } from '../../src/repositories/progress.js'
import { appWithBuilds, stageList } from '../helper.js'

// The progress writes that arrive in one turn of the event loop share one commit
// (src/repositories/progress.ts): on SQLite each in its own savepoint of one transaction, on MariaDB
// decided in two requests of one transaction. Either way every caller gets its own answer, and one
// write's refusal or failure is never another's.

t.test('writes arriving together: one commit on SQLite, each answered on its own, a refusal refuses only itself',
  async (t) => {
    const { app, planId } = await appWithBuilds(t, 4)
    const commits: number[] = []
    traceCommits((writes) => commits.push(writes))
    t.teardown(() => { traceCommits(undefined) })

    const writes = [1, 2, 3, 4].flatMap((buildIndex) => ['Checkout', 'Build'].map(async (stageName) =>
      await applyProgress(app.db, { planId, buildIndex }, [{ stageName, status: 'Running' }])))
    const unknown = applyProgress(app.db, { planId, buildIndex: 99 }, [{ stageName: 'Checkout', status: 'Running' }])
    const settled = await Promise.allSettled([...writes, unknown])

    t.same(settled.slice(0, 8).map((s) => s.status), Array(8).fill('fulfilled'), 'the eight writes are answered')
    const refused = settled[8]
    t.equal(refused.status, 'rejected', 'the write to an unknown build is refused')
    t.match((refused as PromiseRejectedResult).reason, { errorName: 'NotFound' })
    for (const buildIndex of [1, 2, 3, 4]) {
      t.same((await stageList(app, planId, buildIndex)).map((s) => s.StageName), ['Checkout', 'Build'],
        `build ${buildIndex} has both stages, in order`)
    }
    t.same(commits, [9], 'one commit for the nine writes of one turn')
  })

t.test('a write that fails half-way rolls back its own changes; the others of its group commit', async (t) => {
  const { app, planId } = await appWithBuilds(t, 2)
  await applyProgress(app.db, { planId, buildIndex: 1 }, [{ stageName: 'Checkout', status: 'Running' }])
  const refs = { names: ['Checkout'], ids: [] }
  // patches Checkout to Pass, then inserts a stage under Checkout's StageID: the unique key refuses the insert
  const halfWay = progressTransaction(app.db, { planId, buildIndex: 1 }, refs, (before: ProgressState) => {
    const checkout = before.stages.get('Checkout')
    if (checkout == null) throw new Error('Checkout not read')
    const stages = new Map(before.stages)
    stages.set('Checkout', { ...checkout, status: 'Pass' })
    stages.set('Copy', { ...checkout, name: 'Copy' })
    const after = { ...before, stages }
    const event = { stageName: 'Checkout', status: 'Pass' as const, source: 'callback' as const }
    return { outcome: { before, after, events: [event], now: Date.now() }, answer: 'written' }
  })
  const other = applyProgress(app.db, { planId, buildIndex: 2 }, [{ stageName: 'Checkout', status: 'Pass' }])
  const [failed, ok] = await Promise.allSettled([halfWay, other])
  t.equal(failed.status, 'rejected', 'the duplicate StageID fails the write')
  t.equal(ok.status, 'fulfilled', 'the other write of the same turn is answered')
  t.same((await stageList(app, planId, 1)).map((s) => [s.StageName, s.Status]), [['Checkout', 'Running']],
    'the failed write\'s own patch of Checkout was rolled back with it')
  t.same((await stageList(app, planId, 2)).map((s) => [s.StageName, s.Status]), [['Checkout', 'Pass']],
    'the other write committed')
})
