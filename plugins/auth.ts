import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { apiError } from '../src/errors.js'
import { type Access, ALLOWED, type Role } from '../src/lib/access.js'
import { tokenFrom } from '../src/lib/token.js'
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

export default fp(async function auth (fastify) {
  // the one transition: open → closed (for good), logged by every process when it notices
  const guard = new TokenGuard(fastify.db, () => { fastify.log.warn('open mode ended: an API token exists, every API request now needs one') })
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
    if (await guard.isOpen()) return
    const token = tokenFrom(request, { allowAccessToken: request.routeOptions.config.accessToken === true })
    if (token == null) throw apiError('Unauthorized', 'credentials required: Authorization: Bearer <token> or X-TestCloud-Token')
    const caller = await guard.identity(token)
    if (caller == null) throw apiError('Unauthorized', 'unknown or revoked token')
    const role = caller.role
    request.rateKey = `token:${hashToken(token)}`
    request.caller = caller
    if (!ALLOWED[access].includes(role)) throw apiError('Forbidden', `a ${role} token may not do this (needs ${ALLOWED[access].join(' or ')})`)
  })
}, { name: 'auth', dependencies: ['database'] })
