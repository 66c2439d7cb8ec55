import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { apiError } from '../src/errors.js'
import { type Access, ALLOWED, type Role } from '../src/lib/access.js'
import { MAX_TOKEN_LENGTH, tokenFrom } from '../src/lib/token.js'
import { hashToken, TokenGuard } from '../src/repositories/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenGuard
    /** onRequest hook for the API scope: checks the route's `config.access` against the caller's token */
    authorize: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    /** the rate limit's key once auth has verified the caller's token or secret: `token:<sha256>` */
    rateKey?: string
    /** the verified token's name and role; undefined in open mode (and on the webhook) */
    caller?: { name: string, role: Role }
  }
  interface FastifyContextConfig {
    access?: Access | 'webhook'
    /** true: `?access_token=` is accepted (the event stream, for browsers' EventSource) */
    accessToken?: boolean
  }
}

/** The host name of a Host header (no port, lower case, IPv6 without brackets). */
export function hostName (host: string): string {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '').toLowerCase()
  } catch {
    return host.toLowerCase()
  }
}

/** Whether a Host names this machine's loopback (which no outside page can rebind) or is one of `allowed`. */
export function hostAllowed (host: string, allowed: Set<string>): boolean {
  const name = hostName(host)
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || allowed.has(name)
}

/** The Host the client sent (HTTP/2: :authority), never a proxy header; "" when none. */
export function requestHost (request: FastifyRequest): string {
  const host = request.headers.host ?? request.headers[':authority']
  return typeof host === 'string' ? host : ''
}

export default fp(async function auth (fastify) {
  const allowedHosts = new Set((fastify.config.ALLOWED_HOSTS ?? '').split(',')
    .map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))
  // the one transition: open → closed (for good), logged by every process when it notices
  const guard = new TokenGuard(fastify.db, () => {
    fastify.log.warn('open mode ended: an API token exists, every API request now needs one')
  })
  fastify.decorate('tokens', guard)

  fastify.addHook('onReady', async () => {
    if (await guard.isOpen()) { // also primes the guard, so the end of open mode is logged when it comes
      fastify.log.warn('NO API TOKEN EXISTS: the API is open to anyone who can reach it. ' +
        'Create one with `npm run token -- create --name NAME --role admin`')
    }
  })

  fastify.decorate('authorize', async (request: FastifyRequest) => {
    const access = request.routeOptions.config.access ?? 'admin'
    if (access === 'webhook') return // the webhook checks its own secrets
    if (await guard.isOpen()) {
      // open to anyone who can reach it, so not to pages elsewhere that rebind their name to this
      // address (DNS rebinding): only a loopback Host, or one the operator named, is answered. The Host
      // header itself: with TRUST_PROXY, request.host is X-Forwarded-Host, which such a page may set
      const host = requestHost(request)
      if (!hostAllowed(host, allowedHosts)) {
        throw apiError('Forbidden', `Host "${hostName(host)}" is not answered while the server is open ` +
          '(no API token exists): use localhost, add the name to ALLOWED_HOSTS, or create a token')
      }
      return
    }
    const token = tokenFrom(request, { allowAccessToken: request.routeOptions.config.accessToken === true })
    if (token == null) {
      throw apiError('Unauthorized', 'credentials required: Authorization: Bearer <token> or X-TestCloud-Token')
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw apiError('Unauthorized', `token longer than ${MAX_TOKEN_LENGTH} characters: no API token is`)
    }
    const caller = await guard.identity(token)
    if (caller == null) throw apiError('Unauthorized', 'unknown or revoked token')
    const role = caller.role
    request.rateKey = `token:${hashToken(token)}`
    request.caller = caller
    if (!ALLOWED[access].includes(role)) {
      throw apiError('Forbidden', `a ${role} token may not do this (needs ${ALLOWED[access].join(' or ')})`)
    }
  })
}, { name: 'auth', dependencies: ['database'] })
