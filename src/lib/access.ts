import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { anyToken, roleOf, type Role, touchToken } from '../repo/tokens.js'

/** What a route needs; Product/Plan management is admin-only. */
export type Access = 'read' | 'trigger' | 'callback' | 'admin'

// API.md § Access: read = every GET; trigger = read + Build/add, Build/cancel; callback = Build/update
// and the webhook; admin = everything.
export const ALLOWED: Record<Access, readonly Role[]> = {
  read: ['read', 'trigger', 'admin'],
  trigger: ['trigger', 'admin'],
  callback: ['callback', 'admin'],
  admin: ['admin']
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
