import t from 'tap'
import { Kysely } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDialect } from '../../db/dialect.js'
import type { Database } from '../../db/schema.js'
import { API_PREFIX } from '../../src/app.js'
import { createToken, revokeToken } from '../../src/repositories/tokens.js'
import { spawnServer } from '../fixtures/server-process.js'
import { freshDatabase } from '../helper.js'

/** An open event stream; `ended` turns true when the server closes it. */
async function stream (url: string, token?: string): Promise<{ ended: () => boolean, close: () => void }> {
  const ac = new AbortController()
  const res = await fetch(`${url}${API_PREFIX}/events${token == null ? '' : `?access_token=${token}`}`, { signal: ac.signal })
  if (res.status !== 200 || res.body == null) throw new Error(`stream: ${res.status} ${await res.text()}`)
  let ended = false
  const reader = res.body.getReader()
  ;(async () => {
    try { while (!(await reader.read()).done) { /* heartbeats */ } } catch {}
    ended = true
  })().catch(() => {})
  return { ended: () => ended, close: () => ac.abort() }
}

// docs/API.md, Tightened rules, round 3: revoking a token closes its open streams within 1 s, in every process
t.test('revoking a token closes its open event streams in two server processes within 1 s; other streams stay', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const [a, b] = await Promise.all([spawnServer(t, { DATABASE_URL }), spawnServer(t, { DATABASE_URL })])
  const db = new Kysely<Database>({ dialect: await createDialect(DATABASE_URL) })
  t.teardown(async () => { await db.destroy() })
  await createToken(db, 'keeper', 'admin')
  const revoked = await createToken(db, 'dash', 'read')
  const kept = await createToken(db, 'wall', 'read')
  await sleep(1_000) // both processes notice that open mode ended
  const streams = await Promise.all([stream(a.url, revoked), stream(b.url, revoked), stream(a.url, kept), stream(b.url, kept)])
  t.teardown(() => { for (const s of streams) s.close() })
  await revokeToken(db, 'dash')
  await sleep(1_000)
  t.same(streams.map((s) => s.ended()), [true, true, false, false], 'the revoked token\'s streams ended in both processes, the others did not')
})

t.test('streams opened while the API was open end within 1 s of the first token, in both processes', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const [a, b] = await Promise.all([spawnServer(t, { DATABASE_URL }), spawnServer(t, { DATABASE_URL })])
  const db = new Kysely<Database>({ dialect: await createDialect(DATABASE_URL) })
  t.teardown(async () => { await db.destroy() })
  const streams = await Promise.all([stream(a.url), stream(b.url)])
  t.teardown(() => { for (const s of streams) s.close() })
  await sleep(500)
  t.same(streams.map((s) => s.ended()), [false, false], 'open while no token exists')
  await createToken(db, 'keeper', 'admin')
  await sleep(1_000)
  t.same(streams.map((s) => s.ended()), [true, true], 'both ended once a token existed')
})
