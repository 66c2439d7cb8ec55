import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { type ApiError, apiError } from '../src/errors.js'
import { AuthFailures } from '../src/lib/auth-failures.js'
import { answerError } from './error-answers.js'

// What an API request passes before its handler runs, in this order: one value per query key, the
// rate limit, then the caller's credentials against the route's access (plugins/auth.ts, which also
// refuses a foreign Host while the server is open). Failed authentications are limited per address.
export default fp(async function apiGuards (api) {
  const config = api.config
  // Failed authentications are limited per address (see lib/auth-failures.ts), and only they: a
  // request whose credentials are right is served whatever else came from its address (behind a
  // proxy without TRUST_PROXY, that address is everyone's). So the limit turns a 1004 into 1009.
  const failures = new AuthFailures(config.AUTH_FAILURES_PER_MINUTE)
  api.setErrorHandler((err, request, reply) => {
    const wait = (err as Partial<ApiError>).errorName === 'Unauthorized' ? failures.blockedFor(request.ip) : 0
    if (wait <= 0) return answerError.call(api, err as Error, request, reply)
    reply.header('retry-after', Math.ceil(wait / 1000))
    const limited = apiError('RateLimited',
      `too many failed authentications from this address: retry in ${Math.ceil(wait / 1000)} s`)
    return answerError.call(api, limited, request, reply)
  })
  api.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) failures.fail(request.ip)
  })
  // a repeated query key is ambiguous (which one counts?), so it is refused, never guessed
  api.addHook('onRequest', async (request) => {
    for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (!Array.isArray(value)) continue
      if (key === 'token') throw apiError('Unauthorized', 'token given more than once')
      throw apiError('InvalidParameter', `querystring/${key} given more than once`)
    }
  })
  const perMinute = config.RATE_LIMIT_PER_MINUTE
  if (perMinute > 0) {
    await api.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      // per VERIFIED token (set by auth, which runs first), so one Jenkins fleet sharing an address is
      // one client; per address otherwise: a made-up token in open mode is no way around the limit
      keyGenerator: (request) => request.rateKey ?? `ip:${request.ip}`,
      errorResponseBuilder: (_request, ctx) =>
        apiError('RateLimited', `too many requests: retry in ${Math.ceil(ctx.ttl / 1000)} s`)
    })
  }
  api.addHook('onRequest', api.authorize)
}, { name: 'api-guards', dependencies: ['config', 'auth', 'error-answers'] })
