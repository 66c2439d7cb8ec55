import t from 'tap'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Kysely, sql } from 'kysely'
import type { Test } from 'tap'
import { createDialect } from '../../db/dialect.js'
import type { Database } from '../../db/schema.js'
import { appWithBuilds, build, DIALECT, fakeJenkins, freshDatabase, get, post, seedPlan } from '../helper.js'
import { pruneBatch } from '../../src/repositories/retention.js'
import { Retention, ROWS_PER_TRANSACTION } from '../../src/builds/retention.js'

const DAY = 86_400
const NOW = Math.floor(Date.now() / 1000)

/** Ends build `index` (with one stage) at `endedAt`, or leaves it running. */
async function finish (app: FastifyInstance, planId: number, index: number, status: string, endedAt = NOW - 60) {
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: index, StageName: 'Build', Status: 'running', StartTime: endedAt - 30 })
  if (status === 'running') return
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: index, StageName: 'Build', Status: status, EndTime: endedAt })
  const r = (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: index, Status: status, EndTime: endedAt })).json()
  if (r.ErrorCode !== 1000) throw new Error(JSON.stringify(r))
}

async function rows (app: FastifyInstance, buildIds: number[]) {
  const count = async (table: 'stages' | 'events' | 'builds', column: 'build_id' | 'id') =>
    Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column, 'in', buildIds).executeTakeFirstOrThrow()).n)
  return { builds: await count('builds', 'id'), stages: await count('stages', 'build_id'), events: await count('events', 'build_id') }
}

const indexes = async (app: FastifyInstance, planId: number) =>
  (await get(app, '/Build/list', { DevOpsPlanID: planId })).json().BuildList.map((b: { BuildIndex: number }) => b.BuildIndex)

t.test('RETAIN_BUILDS keeps the newest builds of each plan and every build not ended; indexes are not reused', async (t) => {
  const { app, planId } = await appWithBuilds(t, 6, { RETAIN_BUILDS: '2' })
  for (const [i, s] of [[1, 'Pass'], [2, 'running'], [3, 'Fail'], [4, 'Pass'], [5, 'Aborted'], [6, 'Pass']] as const) await finish(app, planId, i, s)
  const ids = (await app.db.selectFrom('builds').select('id').where('plan_id', '=', planId).orderBy('build_index').execute()).map((b) => b.id)
  const before = await rows(app, [ids[0], ids[2], ids[3]])
  t.ok(before.stages === 3 && before.events > 3)
  await app.db.insertInto('stage_logs').values({ build_id: ids[2], stage_id: 1, error: 'boom', log: 'x'.repeat(1000), truncated: 0, source: 'wfapi', captured_at: NOW })
    .execute()

  const done = await app.retention.runOnce()
  t.same(done, { builds: 3, stages: 3, events: before.events, logs: 1 }, 'builds 1, 3 and 4 with their stages, events and captured log')
  t.same(await indexes(app, planId), [6, 5, 2], 'the 2 newest, and the running build')
  t.same(await rows(app, [ids[0], ids[2], ids[3]]), { builds: 0, stages: 0, events: 0 })
  t.equal((await app.db.selectFrom('stage_logs').selectAll().execute()).length, 0, 'the captured log went with its build')
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 3, 'TotalCount counts what is left')
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().ErrorCode, 1002)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 7, 'the next index is new')
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, /testcloud_retention_pruned_total\{kind="builds"\} 3/)
  t.match(metrics, /testcloud_retention_pruned_total\{kind="stages"\} 3/)
})

t.test('RETAIN_DAYS deletes builds that ended before, never the plan\'s newest; the stats move with it', async (t) => {
  const { app, planId } = await appWithBuilds(t, 4, { RETAIN_DAYS: '30' })
  await finish(app, planId, 1, 'Pass', NOW - 40 * DAY)
  await finish(app, planId, 2, 'Fail', NOW - 10 * DAY)
  await finish(app, planId, 3, 'Pass', NOW - 31 * DAY)
  await finish(app, planId, 4, 'Pass', NOW - 35 * DAY) // the newest: kept however old
  t.equal((await get(app, '/Stage/stats', { DevOpsPlanID: planId })).json().BuildCount, 4)
  t.match(await app.retention.runOnce(), { builds: 2 })
  t.same(await indexes(app, planId), [4, 2])
  t.equal((await get(app, '/Stage/stats', { DevOpsPlanID: planId })).json().BuildCount, 2, 'the cached stats saw the deletion')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 5)
})

t.test('0 keeps everything (the default)', async (t) => {
  const { app, planId } = await appWithBuilds(t, 3)
  for (const i of [1, 2, 3]) await finish(app, planId, i, 'Pass', NOW - 400 * DAY)
  t.equal(app.retention.enabled, false)
  t.same(await app.retention.runOnce(), { builds: 0, stages: 0, events: 0, logs: 0 })
  t.same(await indexes(app, planId), [3, 2, 1])
})

t.test(`one transaction deletes at most ${ROWS_PER_TRANSACTION} rows; a build goes once its history has`, async (t) => {
  const { app, planId } = await appWithBuilds(t, 3)
  for (const i of [1, 2, 3]) await finish(app, planId, i, 'Pass')
  const ids = (await app.db.selectFrom('builds').select(['id', 'plan_id', 'build_index']).where('plan_id', '=', planId).orderBy('build_index').execute())
  const { product_id: productId } = await app.db.selectFrom('plans').select('product_id').where('id', '=', planId).executeTakeFirstOrThrow()
  // 400 stages and 500 more events on each of builds 1 and 2
  for (const b of ids.slice(0, 2)) {
    await app.db.insertInto('stages').values(Array.from({ length: 400 }, (_, i) => ({
      build_id: b.id, stage_id: i + 2, name: `s${i}`, pre_stage_ids: '[]', status: 'Pass', detail: '{}', start_time: NOW, end_time: NOW
    }))).execute()
    await app.db.insertInto('events').values(Array.from({ length: 500 }, () => ({
      build_id: b.id, plan_id: planId, product_id: productId, build_index: b.build_index, stage_name: 's0', status: 'Pass', source: 'api', detail: '{}', time: NOW
    }))).execute()
  }
  const target = [ids[0].id, ids[1].id]
  const total = await rows(app, target)
  let batches = 0
  let deleted = 0
  for (;;) {
    const r = await pruneBatch(app.db, target, ROWS_PER_TRANSACTION)
    const n = r.builds + r.stages + r.events + r.logs
    t.ok(n + (r.done ? 1 : 0) <= ROWS_PER_TRANSACTION, `batch ${++batches}: ${n} rows`)
    deleted += n
    const left = await rows(app, target)
    if (!r.done) t.equal(left.builds, 2, 'the builds stay until their history is gone')
    if (r.done) break
  }
  t.equal(deleted, total.builds + total.stages + total.events)
  t.ok(batches >= 4, `${batches} transactions for ${deleted} rows`)
  t.same(await indexes(app, planId), [3])
})

/** RETAIN_BUILDS=1 and two ended builds of 1,500 events each to prune: one batch of builds, several transactions. */
async function twoBuildsOfManyEvents (t: Test): Promise<FastifyInstance> {
  const { app, planId } = await appWithBuilds(t, 3, { RETAIN_BUILDS: '1' })
  for (const i of [1, 2, 3]) await finish(app, planId, i, 'Pass')
  const ids = await app.db.selectFrom('builds').select(['id', 'build_index']).where('plan_id', '=', planId).orderBy('build_index').execute()
  const { product_id: productId } = await app.db.selectFrom('plans').select('product_id').where('id', '=', planId).executeTakeFirstOrThrow()
  for (const b of ids.slice(0, 2)) {
    await app.db.insertInto('events').values(Array.from({ length: 1500 }, () => ({
      build_id: b.id, plan_id: planId, product_id: productId, build_index: b.build_index, stage_name: 's0', status: 'Pass', source: 'api', detail: '{}', time: NOW
    }))).execute()
  }
  return app
}

// On SQLite the deletes run on the thread that answers requests, so the job takes half the share
t.test('the job holds the write lock at most its share of the time: 5 % on SQLite, 10 % on MariaDB', async (t) => {
  const app = await twoBuildsOfManyEvents(t)
  const share = DIALECT === 'sqlite' ? 0.05 : 0.1
  t.equal(app.retention.opts.share, share)
  const job = app.retention as unknown as { pause: (tookMs: number) => Promise<void> }
  const pause = job.pause.bind(job)
  const spans: Array<{ took: number, waited: number }> = []
  job.pause = async (took) => {
    const started = performance.now()
    await pause(took)
    spans.push({ took, waited: performance.now() - started })
  }
  const done = await app.retention.runOnce()
  t.equal(done?.builds, 2)
  t.ok(spans.length >= 6, `${spans.length} transactions`)
  // a timer may fire up to 1 ms before its time (Node rounds to whole milliseconds)
  for (const { took, waited } of spans) t.ok(waited >= took * (1 - share) / share - 1, `${took.toFixed(2)} ms in the lock, then ${waited.toFixed(2)} ms out`)
  const inLock = spans.reduce((n, s) => n + s.took, 0)
  const total = spans.reduce((n, s) => n + s.took + s.waited, 0)
  t.ok(inLock / total <= share + 0.01, `${(100 * inLock / total).toFixed(1)} % of the run in the lock`)
})

t.test('two processes on one database: each run is done once, by whichever takes the lease', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const common = { ...env, DATABASE_URL, RETAIN_BUILDS: '1', RETAIN_INTERVAL_MS: '60000' }
  const a = await build(t, { env: common })
  const b = await build(t, { env: common })
  const { planId } = await seedPlan(a)
  for (let i = 1; i <= 5; i++) {
    await post(i % 2 === 0 ? a : b, '/Build/add', { DevOpsPlanID: planId })
    await finish(i % 2 === 0 ? b : a, planId, i, 'Pass')
  }
  const [ra, rb] = await Promise.all([a.retention.runOnce(), b.retention.runOnce()])
  t.ok((ra == null) !== (rb == null), 'one process worked, the other found the lease taken')
  t.equal((ra ?? rb)?.builds, 4)
  t.same(await indexes(b, planId), [5])
  t.equal(a.retention.pruned.builds + b.retention.pruned.builds, 4, 'counted once over both /metrics')

  // the next run is due only after the interval, whichever process asks
  await post(a, '/Build/add', { DevOpsPlanID: planId })
  await finish(b, planId, 6, 'Pass')
  t.same([await a.retention.runOnce(), await b.retention.runOnce()], [null, null], 'not due yet')
  const later = Date.now() + 61_000
  a.retention.clock = () => later
  b.retention.clock = () => later
  const again = await Promise.all([a.retention.runOnce(), b.retention.runOnce()])
  t.equal(again.filter((r) => r != null).length, 1, 'one of them ran')
  t.match(again.find((r) => r != null), { builds: 1, stages: 1 }, 'and deleted build 5')
  t.same(await indexes(a, planId), [6])
  t.equal((await post(b, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 7)
})

t.test('a holder that stopped (crashed) loses the lease when it ends', async (t) => {
  const { app, planId } = await appWithBuilds(t, 2, { RETAIN_BUILDS: '1' })
  for (const i of [1, 2]) await finish(app, planId, i, 'Pass')
  const until = Date.now() + 60_000
  await app.db.insertInto('app_state').values({ name: 'retention_lease', value: 'a process that died', updated_at: until }).execute()
  t.equal(await app.retention.runOnce(), null, 'held by another')
  app.retention.clock = () => until + 1
  t.match(await app.retention.runOnce(), { builds: 1 })
})

t.test('the lease is renewed after every transaction, so a long batch of builds is never taken up by a second process', async (t) => {
  const app = await twoBuildsOfManyEvents(t)
  let now = Date.now()
  app.retention.clock = () => (now += 1000)
  const job = app.retention as unknown as { pause: (tookMs: number) => Promise<void> }
  const leaseUntil: number[] = []
  job.pause = async () => {
    const row = await app.db.selectFrom('app_state').select('updated_at').where('name', '=', 'retention_lease').executeTakeFirstOrThrow()
    leaseUntil.push(Number(row.updated_at))
  }
  t.equal((await app.retention.runOnce())?.builds, 2)
  t.ok(leaseUntil.length >= 6, `${leaseUntil.length} transactions in one batch of builds`)
  t.ok(leaseUntil.every((until, i) => i === 0 || until > leaseUntil[i - 1]), 'each transaction found the lease renewed since the one before')
})

t.test('a database that fails under the job: the run logs it and ends, the process goes on', async (t) => {
  const url = await freshDatabase(t)
  const db = new Kysely<Database>({ dialect: await createDialect(url) })
  await sql`SELECT 1`.execute(db) // connected (a pool never used is not closed by destroy)
  await db.destroy() // every query now fails, as with a database that went away
  const logged: string[] = []
  const log = { error: (_o: unknown, msg: string) => { logged.push(msg) }, info: () => {} } as unknown as FastifyBaseLogger
  const job = new Retention(db, log, { days: 0, builds: 1, intervalMs: 60_000 })
  t.same(await job.runOnce(), { builds: 0, stages: 0, events: 0, logs: 0 }, 'the run resolved instead of throwing')
  t.same(logged, ['retention: run failed'])
})
