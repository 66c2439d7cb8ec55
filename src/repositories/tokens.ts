import type { Kysely } from 'kysely'
import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../../db/schema.js'
import { conflict, notFound } from '../errors.js'
import { now } from '../lib/time.js'
import { isUniqueViolation } from './db-errors.js'
import type { Role } from '../lib/access.js'

type Db = Kysely<Database>

/** Tokens are 256 random bits; the database keeps only their SHA-256, so a leak of it opens nothing. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export async function createToken (db: Db, name: string, role: Role): Promise<string> {
  const token = `tc_${randomBytes(32).toString('base64url')}`
  try {
    await db.insertInto('api_tokens').values({ name, role, token_hash: hashToken(token), created_at: now() }).execute()
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a token named "${name}" already exists`)
    throw err
  }
  return token
}

export async function listTokens (db: Db): Promise<Array<{ name: string, role: string, created_at: number, last_used_at: number | null }>> {
  return await db.selectFrom('api_tokens').select(['name', 'role', 'created_at', 'last_used_at']).orderBy('id').execute()
}

export async function revokeToken (db: Db, name: string): Promise<void> {
  const r = await db.deleteFrom('api_tokens').where('name', '=', name).executeTakeFirst()
  if (Number(r.numDeletedRows) === 0) throw notFound(`token "${name}"`)
}

export async function anyToken (db: Db): Promise<boolean> {
  return (await db.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst()) != null
}

/** Role of a presented token (looked up by its hash, so the comparison does not leak timing), or null. */
export async function roleOf (db: Db, token: string): Promise<{ id: number, role: Role } | null> {
  const row = await db.selectFrom('api_tokens').select(['id', 'role']).where('token_hash', '=', hashToken(token)).executeTakeFirst()
  return row == null ? null : { id: row.id, role: row.role as Role }
}

export async function touchToken (db: Db, id: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now() }).where('id', '=', id).execute()
}

const ROLE_TTL_MS = 5_000 // a revoked token stops working within this long
const OPEN_TTL_MS = 1_000 // the first token created (by the CLI, in another process) closes the server within this long
const TOUCH_EVERY_MS = 60_000 // last_used_at is written at most this often per token

/** Looks tokens up (by hash) with a short cache, so a request costs no database round trip. */
export class TokenGuard {
  private readonly roles = new Map<string, { role: { id: number, role: Role } | null, until: number }>()
  private open: { value: boolean, until: number } = { value: true, until: 0 }
  private readonly touched = new Map<number, number>()

  constructor (private readonly db: Kysely<Database>) {}

  /** True while no token exists: then the API is open to everyone. */
  async isOpen (): Promise<boolean> {
    if (Date.now() >= this.open.until) this.open = { value: !(await anyToken(this.db)), until: Date.now() + OPEN_TTL_MS }
    return this.open.value
  }

  async role (token: string): Promise<Role | null> {
    const now = Date.now()
    let hit = this.roles.get(token)
    if (hit == null || now >= hit.until) {
      hit = { role: await roleOf(this.db, token), until: now + ROLE_TTL_MS }
      if (this.roles.size > 10_000) this.roles.clear() // bounded: a flood of junk tokens cannot grow it
      this.roles.set(token, hit)
    }
    if (hit.role != null && now - (this.touched.get(hit.role.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touched.set(hit.role.id, now)
      await touchToken(this.db, hit.role.id)
    }
    return hit.role?.role ?? null
  }

  /** Forget cached answers (after creating or revoking a token in this process). */
  reset (): void {
    this.roles.clear()
    this.open.until = 0
  }
}
