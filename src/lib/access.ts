/** What a token may be: each role allows what ALLOWED says. */
export const ROLES = ['read', 'trigger', 'callback', 'admin'] as const
export type Role = typeof ROLES[number]

/** What a route needs; Product/Plan management is admin-only. */
export type Access = 'read' | 'trigger' | 'callback' | 'admin' | 'any'

// Roles (docs/API.md, Access): read = every GET; trigger = read + Build/add, Build/cancel; callback = Build/update
// and the webhook; admin = everything.
export const ALLOWED: Record<Access, readonly Role[]> = {
  read: ['read', 'trigger', 'admin'],
  trigger: ['trigger', 'admin'],
  callback: ['callback', 'admin'],
  admin: ['admin'],
  // any valid token: Token/whoami, so a page can learn what its token may do
  any: ROLES
}
