import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import t from 'tap'
import app, { fastifyOptions } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { WriteHealth } from '../../src/lib/write-refusal.js'
import { fakeJenkins, freshDatabase, MYSQL_URL, post, tickLater } from '../helper.js'

// docs/API.md, Tightened rules, round 3: a database that cannot write answers 1010 / HTTP 503 naming
// the cause, /readyz answers 503, and the original error is in the log

/** The app with its log captured (one pool connection, so a session setting holds for every query). */
async function appWithLog (t: Parameters<typeof freshDatabase>[0], env: Record<string, string> = {}) {
  const logs: string[] = []
  const config = loadConfig({ ...env, LOG_LEVEL: 'info', DATABASE_URL: await freshDatabase(t), DATABASE_POOL_SIZE: '1' })
  const fastify = Fastify(fastifyOptions({ level: 'info', stream: { write: (line: string) => logs.push(line) } }))
  await fastify.register(fp(app), { config, pollerAutoStart: false })
  await fastify.ready()
  t.teardown(async () => { await fastify.close() })
  let now = Date.now()
  fastify.dbWrites.clock = () => now
  return { app: fastify, logs, later: () => { now += WriteHealth.REFUSAL_MS } }
}

async function readyz (app: Awaited<ReturnType<typeof appWithLog>>['app']) {
  const res = await app.inject({ url: '/readyz' })
  return { status: res.statusCode, body: res.json() }
}

const SQLITE_ONLY = MYSQL_URL != null ? 'SQLite pragmas model the full disk and the read-only file' : false
const MYSQL_ONLY = MYSQL_URL == null ? 'a MariaDB session set read-only models a server that refuses writes' : false

t.test('SQLite, disk full: 1010 naming it, /readyz 503, SQLITE_FULL in the log; then it recovers', { skip: SQLITE_ONLY }, async (t) => {
  const { app, logs, later } = await appWithLog(t)
  t.equal((await readyz(app)).status, 200)
  // the file may not grow by one more page: what SQLite meets on a full disk
  const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(app.db)).rows[0].page_count
  await sql.raw(`pragma max_page_count = ${pages}`).execute(app.db)
  let res
  for (let i = 0; i < 500; i++) {
    res = await post(app, '/Product/add', { ProductName: `product-${i}-${'x'.repeat(100)}` })
    if (res.json().ErrorCode !== 1000) break
  }
  t.equal(res?.statusCode, 503)
  t.equal(res?.json().ErrorCode, 1010)
  t.match(res?.json().Description, /the database cannot write: the disk is full \(SQLITE_FULL\)/)
  t.ok(logs.some((l) => l.includes('SQLITE_FULL')), 'the original error is logged')
  t.notOk(logs.some((l) => /cannot rollback/.test(l)), 'not the failed ROLLBACK in its place')
  const ready = await readyz(app)
  t.equal(ready.status, 503)
  t.match(ready.body, { ErrorCode: 1010, Database: 'read-only', Description: /disk is full/ })

  await sql.raw('pragma max_page_count = 1073741823').execute(app.db)
  later()
  t.equal((await readyz(app)).status, 200, 'ready again once writes work')
  t.equal((await post(app, '/Product/add', { ProductName: 'after' })).json().ErrorCode, 1000)
})

t.test('SQLite, read-only: 1010 naming it, /readyz 503 without a request having failed first', { skip: SQLITE_ONLY }, async (t) => {
  const { app, logs, later } = await appWithLog(t)
  t.equal((await readyz(app)).status, 200)
  await sql.raw('pragma query_only = 1').execute(app.db)
  later()
  later()
  const ready = await readyz(app)
  t.equal(ready.status, 503, 'the probe write found it')
  t.match(ready.body.Description, /read-only \(SQLITE_READONLY/)
  const res = await post(app, '/Product/add', { ProductName: 'P' })
  t.same([res.statusCode, res.json().ErrorCode], [503, 1010])
  t.match(res.json().Description, /the database file is read-only \(SQLITE_READONLY/)
  t.ok(logs.some((l) => l.includes('SQLITE_READONLY')))
  await sql.raw('pragma query_only = 0').execute(app.db)
  later()
  t.equal((await readyz(app)).status, 200)
})

t.test('MariaDB refusing writes: 1010 naming it, /readyz 503, the server\'s error in the log; then it recovers', { skip: MYSQL_ONLY }, async (t) => {
  const { app, logs, later } = await appWithLog(t)
  t.equal((await readyz(app)).status, 200)
  await sql.raw('SET SESSION TRANSACTION READ ONLY').execute(app.db)
  const res = await post(app, '/Product/add', { ProductName: 'P' })
  t.same([res.statusCode, res.json().ErrorCode], [503, 1010])
  t.match(res.json().Description, /the database cannot write: the database session is read-only/)
  t.ok(logs.some((l) => l.includes('ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION')), 'the original error is logged')
  const ready = await readyz(app)
  t.equal(ready.status, 503)
  t.equal(ready.body.Database, 'read-only')
  await sql.raw('SET SESSION TRANSACTION READ WRITE').execute(app.db)
  later()
  t.equal((await readyz(app)).status, 200)
  t.equal((await post(app, '/Product/add', { ProductName: 'P' })).json().ErrorCode, 1000, 'nothing of the refused write was kept')
})

t.test('each refusal is named', async (t) => {
  const { writeRefusal } = await import('../../src/lib/write-refusal.js')
  t.match(writeRefusal({ code: 'SQLITE_FULL' }), /disk is full/)
  t.match(writeRefusal({ code: 'SQLITE_READONLY_DBMOVED' }), /read-only/)
  t.match(writeRefusal({ code: 'SQLITE_IOERR_WRITE' }), /disk failed/)
  t.match(writeRefusal({ errno: 1290, code: 'ER_OPTION_PREVENTS_STATEMENT' }), /read-only .*\(ER_OPTION_PREVENTS_STATEMENT\)/)
  t.match(writeRefusal({ errno: 1142, code: 'ER_TABLEACCESS_DENIED_ERROR' }), /may not write/)
  t.match(writeRefusal({ errno: 1114, code: 'ER_RECORD_FILE_FULL' }), /full/)
  t.equal(writeRefusal({ errno: 1062, code: 'ER_DUP_ENTRY' }), null)
  t.equal(writeRefusal(new Error('x')), null)
})

t.test('SQLite, disk full under Build/update: every write of a commit group answers 1010 with the disk error, none is half kept', { skip: SQLITE_ONLY }, async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'J', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const { app, logs } = await appWithLog(t, env)
  const productId = (await post(app, '/Product/add', { ProductName: 'P' })).json().ProductID
  const planId = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'Q', JobName: 'J' })).json().DevOpsPlanID
  const { BuildIndex } = (await post(app, '/Build/add', { DevOpsPlanID: planId })).json()
  t.ok(BuildIndex > 0)
  const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(app.db)).rows[0].page_count
  await sql.raw(`pragma max_page_count = ${pages}`).execute(app.db)
  // many updates in one turn of the event loop: one commit group, whose transaction the full disk ends
  const detail = 'x'.repeat(2000)
  const answers = await Promise.all(Array.from({ length: 40 }, async (_, i) => await post(app, '/Build/update', {
    DevOpsPlanID: planId, BuildIndex, StageName: `stage-${i}`, Status: 'Running', Detail: { Note: detail }
  })))
  const codes = answers.map((r) => r.json().ErrorCode)
  t.notOk(codes.includes(1099), `no internal error among ${codes.join(',')}`)
  t.ok(codes.includes(1010), 'the disk error reaches the callers')
  for (const r of answers.filter((a) => a.json().ErrorCode === 1010)) {
    t.equal(r.statusCode, 503)
    t.match(r.json().Description, /disk is full/)
  }
  t.notOk(logs.some((l) => /cannot (commit|rollback)/.test(l)), 'the disk error is what the log shows, not a failed COMMIT')
  t.ok(logs.some((l) => l.includes('SQLITE_FULL')), 'SQLITE_FULL in the log')
  t.match(await readyz(app), { status: 503, body: { Database: 'read-only' } }, '/readyz says so')
  await sql.raw('pragma max_page_count = 1073741823').execute(app.db)
  // what was acknowledged is there; what was refused is not
  const stages = (await app.inject({ url: `/TestCloud/DevOps/Stage/info?DevOpsPlanID=${planId}&BuildIndex=${BuildIndex as number}` })).json().StageList as Array<{ StageName: string }>
  const kept = new Set(stages.map((s) => s.StageName))
  answers.forEach((r, i) => {
    if (r.json().ErrorCode === 1000) t.ok(kept.has(`stage-${i}`), `stage-${i} acknowledged and kept`)
    else t.notOk(kept.has(`stage-${i}`), `stage-${i} refused and not kept`)
  })
})

t.test('SQLite, disk full while the poller records a run: /readyz 503 naming it; the poll is retried once the disk has room', { skip: SQLITE_ONLY }, async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'J', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const { app } = await appWithLog(t, env)
  const productId = (await post(app, '/Product/add', { ProductName: 'P' })).json().ProductID
  const planId = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'Q', JobName: 'J' })).json().DevOpsPlanID
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, Array.from({ length: 30 }, (_, i) => `stage-${i}-${'x'.repeat(200)}`.slice(0, 100)))
  const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(app.db)).rows[0].page_count
  await sql.raw(`pragma max_page_count = ${pages}`).execute(app.db)
  await tickLater(app).catch(() => undefined) // the release of the build may fail as well: the tick then fails
  t.match(await readyz(app), { status: 503, body: { Database: 'read-only', Description: /disk is full/ } },
    'the poller\'s refused write reaches /readyz')
  await sql.raw('pragma max_page_count = 1073741823').execute(app.db)
  await tickLater(app)
  await tickLater(app)
  const info = (await app.inject({ url: `/TestCloud/DevOps/Build/info?DevOpsPlanID=${planId as number}&BuildIndex=1` })).json()
  t.equal(info.Build.Status, 'Pass', 'recorded once the disk has room')
})
