import type { FastifyInstance } from 'fastify'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { recordBuild } from '../../src/repositories/builds.js'
import { MAX_UNSENT } from '../../src/routes/events.js'
import type { StreamEvent } from '../../src/repositories/events.js'
import { API_PREFIX } from '../../src/app.js'
import { appWithBuilds, build, seedPlan } from '../helper.js'

const PAGE = 500

/** `n` events of one build, written straight into the table (the write path would take minutes for this many). */
async function seedEvents (app: FastifyInstance, n: number): Promise<{ productId: number, planId: number, count: number }> {
  const { productId, planId } = await seedPlan(app)
  const { id } = await recordBuild(app.db, planId, 'Test', null, () => [])
  for (let i = 0; i < n; i += 1000) {
    const row = { build_id: id, plan_id: planId, product_id: productId, build_index: 1 }
    const rows = Array.from({ length: Math.min(1000, n - i) }, (_, k) =>
      ({ ...row, stage_name: `stage-${i + k}`, status: 'Running', source: 'api', detail: '{}', time: 1_800_000_000 }))
    await app.db.insertInto('events').values(rows).execute()
  }
  // recording the build wrote its own event too
  const { count } = await app.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return { productId, planId, count: Number(count) }
}

async function listening (app: FastifyInstance): Promise<{ host: string, port: number }> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { host: '127.0.0.1', port }
}

/** A client that sends the request and then does not read: what the server sends piles up. */
async function nonReader (at: { host: string, port: number }, path: string, localAddress?: string): Promise<Socket> {
  const socket = connect({ ...at, localAddress })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.pause()
  socket.write(`GET ${API_PREFIX}${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  return socket
}

/** Waits (polling) until `check` holds; fails the test if it does not within `tries` × 20 ms. */
async function until (check: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await sleep(20)
  }
  throw new Error(`never happened: ${what}`)
}

/** The body of a chunked HTTP/1.1 answer (everything received so far). */
function dechunk (raw: string): string {
  let at = raw.indexOf('\r\n\r\n') + 4
  let body = ''
  for (;;) {
    const eol = raw.indexOf('\r\n', at)
    if (eol < 0) return body
    const size = parseInt(raw.slice(at, eol), 16)
    if (!(size > 0) || raw.length < eol + 2 + size) return body
    body += raw.slice(eol + 2, eol + 2 + size)
    at = eol + 2 + size + 2
  }
}

const unsent = (app: FastifyInstance): number => [...app.streams].reduce((n, res) => n + res.writableLength, 0)

t.test('the backlog is read one page per query, the next only when the subscriber is ready for it', async (t) => {
  const app = await build(t)
  const { productId, count } = await seedEvents(app, 1199)
  const got: StreamEvent[] = []
  const readies: Array<(more: boolean) => void> = []
  const subscribing = app.events.subscribe({
    filter: { productId },
    send: (e) => got.push(e),
    ready: async () => await new Promise<boolean>((resolve) => readies.push(resolve))
  }, 0)
  await until(() => readies.length === 1, 'the first page waits')
  t.equal(got.length, PAGE, 'one page sent')
  t.equal(app.events.backlogPages, 1, 'one query')
  t.equal(app.events.waiting, 1)
  readies[0](true)
  await until(() => readies.length === 2, 'the second page waits')
  t.equal(got.length, 2 * PAGE)
  t.equal(app.events.backlogPages, 2)
  readies[1](true)
  const unsubscribe = await subscribing
  t.equal(count, 1200)
  t.equal(got.length, count, 'every event once')
  t.same(got.map((e) => e.EventID), [...got.map((e) => e.EventID)].sort((a, b) => a - b), 'in order')
  t.equal(app.events.size, 1, 'then live')
  unsubscribe()
})

t.test('a subscriber that goes away while its backlog waits is never added', async (t) => {
  const app = await build(t)
  await seedEvents(app, 700)
  let ready!: (more: boolean) => void
  const subscribing = app.events.subscribe({ filter: {}, send: () => {}, ready: async () => await new Promise((resolve) => { ready = resolve }) }, 0)
  await until(() => app.events.waiting === 1, 'waiting')
  ready(false)
  await subscribing
  t.equal(app.events.size, 0)
  t.equal(app.events.backlogPages, 1, 'no page read after it left')
})

t.test('a stream whose client never reads holds at most about a page, and the client gets everything once it reads', async (t) => {
  const app = await build(t)
  // ~10 MB of frames: more than the kernel's socket buffers take
  const { count: total } = await seedEvents(app, 60_000)
  const at = await listening(app)
  const socket = await nonReader(at, '/events?LastEventID=0')
  t.teardown(() => socket.destroy())
  await until(() => app.events.waiting === 1, 'the stream waits for the socket to drain')
  // the kernel's buffers take a few pages; once full, the stream stays waiting and reads nothing more
  let pages = -1
  await until(() => {
    const stalled = app.events.backlogPages === pages && app.events.waiting === 1
    pages = app.events.backlogPages
    return stalled
  }, 'the stream stops reading pages', 1000)
  await sleep(300)
  t.equal(app.events.backlogPages, pages, 'no page read while the client does not read')
  t.ok(pages < total / PAGE, `${pages} of ${Math.ceil(total / PAGE)} pages read`)
  t.ok(unsent(app) <= 256 * 1024, `${unsent(app)} bytes queued in the server (at most about a page)`)
  t.equal(app.streams.size, 1, 'the stream stays open (less than 1 MiB unsent)')

  // the client reads now: every event arrives once, in order
  let raw = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => { raw += chunk })
  socket.resume()
  await until(() => app.events.size === 1, 'the backlog is sent and the stream follows the tail', 3000)
  await until(() => (dechunk(raw).match(/^id: /gm) ?? []).length >= total, 'every event arrives', 3000)
  const ids = [...dechunk(raw).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
  t.equal(ids.length, total)
  t.equal(new Set(ids).size, total, 'none twice')
  t.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), 'in order')
})

t.test('a live stream with more than 1 MiB unsent is closed; the client resumes with Last-Event-ID', async (t) => {
  const app = await build(t)
  const at = await listening(app)
  const socket = await nonReader(at, '/events')
  t.teardown(() => socket.destroy())
  await until(() => app.events.size === 1, 'the stream joined the live tail')
  const closed = new Promise((resolve) => socket.once('close', resolve))
  socket.resume()
  socket.pause() // reads the headers at most, then nothing
  const e: StreamEvent = { EventID: 1, ProductID: 1, DevOpsPlanID: 1, BuildIndex: 1, StageName: 'x'.repeat(100), Status: 'Running', Source: 'api', Time: 1 }
  const frame = `id: 1\ndata: ${JSON.stringify(e)}\n\n`.length
  // as the tail would deliver them: 8 MiB of events the client never reads
  const dispatch = (app.events as unknown as { dispatch: (e: StreamEvent) => void }).dispatch.bind(app.events)
  let sent = 0
  const open = (): boolean => [...app.streams].some((res) => !res.destroyed)
  for (; sent * frame < 64 * MAX_UNSENT && open(); sent++) dispatch(e)
  t.notOk(open(), `closed after ${Math.round(sent * frame / 1024)} KiB sent to it`)
  await until(() => app.streams.size === 0 && app.events.size === 0, 'the stream left the tail')
  socket.resume()
  await closed
})

t.test('one address holds at most STREAM_MAX_PER_ADDRESS streams; others still get theirs', async (t) => {
  const app = await build(t, { env: { STREAM_MAX_PER_ADDRESS: '2' } })
  const at = await listening(app)
  const url = `http://${at.host}:${at.port}${API_PREFIX}/events`
  const a = await nonReader(at, '/events', '127.0.0.1')
  const b = await nonReader(at, '/events', '127.0.0.1')
  t.teardown(() => { a.destroy(); b.destroy() })
  await until(() => app.streams.size === 2, 'two streams open')
  const third = await fetch(url)
  t.equal(third.status, 429)
  const body = await third.json() as { ErrorCode: number, Description: string }
  t.equal(body.ErrorCode, 1009)
  t.match(body.Description, /at most 2/)
  // another address (127.0.0.2 is loopback too) is not held back
  const other = await nonReader(at, '/events', '127.0.0.2')
  t.teardown(() => other.destroy())
  await until(() => app.streams.size === 3, 'the other address got its stream')
  a.destroy()
  await until(() => app.streams.size === 2, 'a stream closed')
  const again = await fetch(url)
  t.equal(again.status, 200, 'a slot freed by closing is available again')
  await again.body?.cancel()
})

t.test('STREAM_MAX_PER_ADDRESS defaults to 20', async (t) => {
  const app = await build(t)
  t.equal(app.config.STREAM_MAX_PER_ADDRESS, 20)
})

t.test('a backlog filtered by ProductID reads through an index, not the whole table', async (t) => {
  const app = await build(t)
  const { sql } = await import('kysely')
  const { DIALECT } = await import('../helper.js')
  const plan = DIALECT === 'sqlite'
    ? (await sql<{ detail: string }>`explain query plan select id from events where id > ${0} and product_id = ${1} order by id limit 500`.execute(app.db)).rows.map((r) => r.detail).join('; ')
    : JSON.stringify((await sql`explain select id from events where id > ${0} and product_id = ${1} order by id limit 500`.execute(app.db)).rows)
  t.match(plan, /events_product_id_idx/, plan)
})

t.test('a backlog filtered by BuildIndex reads the build\'s events through events(build_id, id)', async (t) => {
  const { app, planId } = await appWithBuilds(t, 3)
  const { CompiledQuery } = await import('kysely')
  const { DIALECT } = await import('../helper.js')
  const { eventsAfter, eventsAfterQuery } = await import('../../src/repositories/events.js')
  for (const filter of [{ planId, buildIndex: 2 }, { buildIndex: 2 }]) {
    const events = await eventsAfter(app.db, 0, 500, filter)
    t.ok(events.length > 0 && events.every((e) => e.BuildIndex === 2 && e.DevOpsPlanID === planId), 'build 2\'s events only')
    const q = eventsAfterQuery(app.db, 0, 500, filter, [2]).compile()
    const explain = DIALECT === 'sqlite' ? 'explain query plan ' : 'explain '
    const { rows } = await app.db.executeQuery(CompiledQuery.raw(explain + q.sql, [...q.parameters]))
    const plan = DIALECT === 'sqlite' ? rows.map((r) => (r as { detail: string }).detail).join('; ') : JSON.stringify(rows)
    t.match(plan, /events_build_id_idx/, `${JSON.stringify(filter)}: ${plan}`)
    if (DIALECT === 'sqlite') t.notMatch(plan, /SCAN events/, 'the events table is not scanned')
  }
})
