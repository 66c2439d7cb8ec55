import { sql } from 'kysely'
import { connect } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import { mysqlBatches } from '../../db/dialect.js'
import { OTLP_BODY_LIMIT } from '../../src/schemas/otlp.js'
import { exportSpans, parseTraceparent, runSpans } from '../fixtures/otel-exporter.js'
import { SECRET } from '../fixtures/otlp-pair.js'
import { build, buildInfo, fakeJenkins, post, seedPlan } from '../helper.js'

// What an exporter sees when an export cannot be taken: an oversized body gets its 1008 answer (not a
// reset, which the exporter retries), and a database that refuses writes is a 503 that /readyz reports too.

const TRACES = '/TestCloud/DevOps/Webhook/otlp/v1/traces'

interface Answer { status: number | null, body: string, error?: string }

/**
 * Sends a `size`-byte protobuf body over a fresh socket in 64 KiB pieces, each after the socket took the one
 * before (the server answers while the client is still sending); reads the answer only once all is sent.
 */
async function sendSlowly (port: number, size: number, chunked: boolean): Promise<Answer> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let raw = ''
    let error: string | undefined
    socket.setEncoding('utf8')
    socket.pause() // like curl: the answer is read once the request is sent
    socket.on('data', (d: string) => { raw += d })
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code })
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]
      resolve({ status: status == null ? null : Number(status), body: raw.slice(raw.indexOf('\r\n\r\n') + 4), error })
    })
    const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`
    socket.write(`POST ${TRACES} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-protobuf\r\n` +
      `authorization: Bearer ${SECRET}\r\n${length}\r\n\r\n`)
    const piece = Buffer.alloc(64 * 1024, 0x0a)
    const next = (sent: number): void => {
      if (socket.destroyed) return
      if (sent >= size) { socket.write(chunked ? '0\r\n\r\n' : '', () => socket.resume()); return }
      const part = piece.subarray(0, Math.min(piece.length, size - sent))
      const framed = chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part
      socket.write(framed, (err) => { if (err == null) next(sent + part.length); else socket.resume() })
    }
    next(0)
  })
}

t.test('an export over the body limit is answered 1008 (HTTP 413) in full, never a connection reset', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const size = OTLP_BODY_LIMIT + 1024 * 1024
  const results: string[] = []
  for (let i = 0; i < 3; i++) {
    for (const chunked of [false, true]) {
      const r = await sendSlowly(port, size, chunked)
      const ok = r.status === 413 && r.error == null && JSON.parse(r.body).ErrorCode === 1008
      results.push(ok ? 'ok' : `${chunked ? 'chunked' : 'length'}: ${r.status} ${r.error ?? ''} ${r.body.slice(0, 80)}`)
    }
  }
  t.same(results.filter((r) => r !== 'ok'), [], `${results.filter((r) => r === 'ok').length} of ${results.length} answered 1008`)
})

/**
 * One build of job Test triggered with our traceparent, its run played and finished in Jenkins, on a database
 * that can be made to refuse writes: a SQLite pragma, or a read-only MariaDB session on the one connection of
 * each pool (the write path's own and Kysely's).
 */
async function refusingSetup (t: Test) {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, WEBHOOK_TOKEN: SECRET, DATABASE_POOL_SIZE: '1' } })
  await seedPlan(app)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: 1 })).json().ErrorCode, 1000)
  const trigger = jenkins.requests.find((r) => r.method === 'POST' && r.path.endsWith('/buildWithParameters'))
  const { traceId, spanId } = parseTraceparent(trigger?.headers.traceparent)
  const run = jenkins.startQueued((jenkins.lastQueueItem() as { id: number }).id)
  jenkins.playPipeline(run, ['Build'])
  jenkins.failWith = 503 // the poller cannot look: only the root span speaks
  const root = runSpans(run, { traceId, parentSpanId: spanId, jenkinsUrl: jenkins.baseUrl })
    .filter((x) => x.name.startsWith('BUILD '))
  const refuse = async (on: boolean): Promise<void> => {
    const batches = mysqlBatches(app.db)
    if (batches == null) {
      await sql.raw(`pragma query_only = ${on ? 1 : 0}`).execute(app.db)
      return
    }
    const statement = `SET SESSION TRANSACTION ${on ? 'READ ONLY' : 'READ WRITE'}`
    await sql.raw(statement).execute(app.db)
    await new Promise<void>((resolve, reject) => { batches.query(statement, (err) => { err == null ? resolve() : reject(err) }) })
  }
  return { app, root, refuse }
}

t.test('a database that refuses the spans\' write: 503/1010 (the exporter sends the batch again), /readyz 503, ' +
  'and the batch is taken once it writes again', async (t) => {
  const { app, root, refuse } = await refusingSetup(t)
  let now = Date.now()
  app.dbWrites.clock = () => now // no probe write of /readyz falls due by itself during the test
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200)

  await refuse(true)
  const refused = await exportSpans(app, root, { token: SECRET })
  t.equal(refused.statusCode, 503)
  t.match(refused.body.toString(), /"ErrorCode":1010/)
  t.match(app.dbWrites.recentRefusal(), /read-only/, 'the refusal reached the write-health tracker')
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json().Description, /read-only/)

  await refuse(false)
  now += 60_000
  t.equal((await exportSpans(app, root, { token: SECRET })).statusCode, 200, 'the batch sent again')
  t.equal((await buildInfo(app, 1)).Status, 'Pass')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
})
