import type { Kysely } from 'kysely'
import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../../db/schema.js'
import { conflict, notFound } from '../errors.js'
import { now } from '../lib/time.js'
import { isUniqueViolation } from './db-errors.js'
import type { Role } from '../lib/access.js'
import { MAX_TOKEN_LENGTH } from '../lib/token.js'

type Db = Kysely<Database>

/** Tokens are 256 random bits; the database keeps only their SHA-256, so a leak of it opens nothing. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** A new token; `first` is true when it ended open mode (it is then ended for good: see app_state). */
export async function createTokenReporting (
  db: Db,
  name: string,
  role: Role
): Promise<{ token: string, first: boolean }> {
  const token = `tc_${randomBytes(32).toString('base64url')}`
  try {
    return await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_tokens')
        .values({ name, role, token_hash: hashToken(token), created_at: now() })
        .execute()
      if (await openModeEnded(trx)) return { token, first: false }
      try {
        await trx
          .insertInto('app_state')
          .values({ name: OPEN_MODE_ENDED, value: `token "${name}"`, updated_at: now() })
          .execute()
      } catch (err) {
        if (isUniqueViolation(err)) return { token, first: false } // another process's first token won
        throw err
      }
      return { token, first: true }
    })
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a token named "${name}" already exists`)
    throw err
  }
}

export async function createToken (db: Db, name: string, role: Role): Promise<string> {
  return (await createTokenReporting(db, name, role)).token
}

const OPEN_MODE_ENDED = 'open_mode_ended'

/** True once any token was ever created: the API then needs a token, even after every token is revoked. */
export async function openModeEnded (db: Db): Promise<boolean> {
  return (
    (await db.selectFrom('app_state').select('name').where('name', '=', OPEN_MODE_ENDED).executeTakeFirst()) != null
  )
}

export async function listTokens (
  db: Db
): Promise<Array<{ name: string, role: string, created_at: number, last_used_at: number | null }>> {
  return await db
    .selectFrom('api_tokens')
    .select(['name', 'role', 'created_at', 'last_used_at'])
    .orderBy('id')
    .execute()
}

/**
 * Removes a token. The last `admin` token goes only with force (nobody could manage products and
 * plans afterwards until a new admin token is made with the CLI); `lastAdmin` says it went.
 */
export async function revokeToken (
  db: Db,
  name: string,
  opts: { force?: boolean } = {}
): Promise<{ lastAdmin: boolean }> {
  return await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('api_tokens').select(['id', 'role']).where('name', '=', name).executeTakeFirst()
    if (row == null) throw notFound(`token "${name}"`)
    let lastAdmin = false
    if (row.role === 'admin') {
      const admins = await trx
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow()
      lastAdmin = Number(admins.n) <= 1
      if (lastAdmin && opts.force !== true) {
        throw conflict(
          `"${name}" is the last admin token: revoking it leaves nobody able to manage products and plans (the API ` +
            'stays closed); pass --force to do it anyway'
        )
      }
    }
    await trx.deleteFrom('api_tokens').where('id', '=', row.id).execute()
    return { lastAdmin }
  })
}

export async function anyToken (db: Db): Promise<boolean> {
  return (await db.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst()) != null
}

/** Role of a presented token (looked up by its hash, so the comparison does not leak timing), or null. */
export async function roleOf (db: Db, token: string): Promise<{ id: number, role: Role, name: string } | null> {
  return await roleByHash(db, hashToken(token))
}

async function roleByHash (db: Db, hash: string): Promise<{ id: number, role: Role, name: string } | null> {
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'role', 'name'])
    .where('token_hash', '=', hash)
    .executeTakeFirst()
  return row == null ? null : { id: row.id, role: row.role as Role, name: row.name }
}

/** Which of these token hashes still belong to a token (the others were revoked). */
export async function presentTokenHashes (db: Db, hashes: string[]): Promise<Set<string>> {
  const present = new Set<string>()
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await db.selectFrom('api_tokens').select('token_hash')
      .where('token_hash', 'in', hashes.slice(i, i + 500)).execute()
    for (const r of rows) present.add(r.token_hash)
  }
  return present
}

export async function touchToken (db: Db, id: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now() }).where('id', '=', id).execute()
}

// A revoked token stops working in every process within this long (docs/API.md, Tightened rules: 1 s):
// each process asks the database again for a token it last checked this long ago.
export const ROLE_TTL_MS = 900
const OPEN_TTL_MS = 900 // the first token created (by the CLI, in another process) closes the server within this long
const TOUCH_EVERY_MS = 60_000 // last_used_at is written at most this often per token
/** tokens whose answer is cached at most (then the cache starts over) */
export const MAX_CACHED = 10_000

/** Looks tokens up (by hash) with a short cache, so a request costs no database round trip. */
export class TokenGuard {
  private readonly roles = new Map<string, { role: { id: number, role: Role, name: string } | null, until: number }>()
  /** cached answers (a test checks the bound) */
  get cached (): number { return this.roles.size }
  private open: { value: boolean, until: number } = { value: true, until: 0 }
  private readonly touched = new Map<number, number>()

  constructor (private readonly db: Kysely<Database>, private readonly onClosed: () => void = () => {}) {}

  /** True until the first token was ever created: then the API is open to everyone. Once closed, closed for good. */
  async isOpen (): Promise<boolean> {
    if (!this.open.value || Date.now() < this.open.until) return this.open.value
    const open = !(await openModeEnded(this.db))
    if (!open && this.open.until !== 0) this.onClosed() // logged only when this process saw it open before
    this.open = { value: open, until: Date.now() + OPEN_TTL_MS }
    return open
  }

  async role (token: string): Promise<Role | null> {
    return (await this.identity(token))?.role ?? null
  }

  /** The token's role and name (Build/add records the name as StartedBy), or null. */
  async identity (token: string): Promise<{ role: Role, name: string } | null> {
    if (token.length > MAX_TOKEN_LENGTH) return null // no token is that long: no lookup, nothing cached
    const now = Date.now()
    // keyed by the hash: an entry costs 64 characters whatever was presented
    const key = hashToken(token)
    let hit = this.roles.get(key)
    if (hit == null || now >= hit.until) {
      hit = { role: await roleByHash(this.db, key), until: now + ROLE_TTL_MS }
      if (this.roles.size >= MAX_CACHED) this.roles.clear() // bounded: a flood of junk tokens cannot grow it
      this.roles.set(key, hit)
    }
    if (hit.role != null && now - (this.touched.get(hit.role.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touched.set(hit.role.id, now)
      await touchToken(this.db, hit.role.id)
    }
    return hit.role == null ? null : { role: hit.role.role, name: hit.role.name }
  }

  /** Forget cached answers (after creating or revoking a token in this process). */
  reset (): void {
    this.roles.clear()
    if (this.open.value) this.open.until = Math.min(this.open.until, 1)
  }
}
