import t from 'tap'
import { Kysely } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDialect } from '../../db/dialect.js'
import type { Database } from '../../db/schema.js'
import { createToken, revokeToken } from '../../src/repositories/tokens.js'
import { spawnServer } from '../fixtures/server-process.js'
import { freshDatabase, get } from '../helper.js'

// docs/API.md, Tightened rules: a revocation takes effect in every server process within 1 s
t.test('a revoked token stops working in two server processes within 1 s', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const [a, b] = await Promise.all([spawnServer(t, { DATABASE_URL }), spawnServer(t, { DATABASE_URL })])
  const db = new Kysely<Database>({ dialect: await createDialect(DATABASE_URL) })
  t.teardown(async () => { await db.destroy() })
  await createToken(db, 'keeper', 'admin')
  const token = await createToken(db, 'dash', 'read')
  await sleep(1_000) // both processes notice that open mode ended
  const code = async (url: string) => (await get(url, '/Product/list', {}, { authorization: `Bearer ${token}` })).json().ErrorCode
  t.same([await code(a.url), await code(b.url)], [1000, 1000], 'both processes have the token cached')
  await revokeToken(db, 'dash')
  await sleep(1_000)
  t.same([await code(a.url), await code(b.url)], [1004, 1004], 'both refuse it a second later')
  t.ok([a, b].every((s) => s.logs.some((l) => l.includes('open mode ended'))), 'each process logged the transition')
})
