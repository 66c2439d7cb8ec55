import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import etag from '@fastify/etag'
import rateLimit from '@fastify/rate-limit'
import auth from '../plugins/auth.js'
import configPlugin from '../plugins/config.js'
import dashboard from '../plugins/dashboard.js'
import database from '../plugins/database.js'
import docs from '../plugins/docs.js'
import jenkins from '../plugins/jenkins.js'
import poller from '../plugins/poller.js'
import type { Config } from './config.js'
import { apiError, ErrorCode, toEnvelope } from './errors.js'
import { tokenFrom } from './lib/token.js'
import { OneLineLogController } from './log-controller.js'
import { hashToken } from './repositories/tokens.js'
import build from './routes/build.js'
import health from './routes/health.js'
import plan from './routes/plan.js'
import product from './routes/product.js'
import stage from './routes/stage.js'
import webhook from './routes/webhook.js'

export const API_PREFIX = '/TestCloud/DevOps'
export const BODY_LIMIT = 1024 * 1024

/** Fastify options shared by the server and the tests: the validation and limits are part of the contract. */
export function fastifyOptions (logger: boolean | object = false) {
  return {
    logger,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Integers-as-strings are handled by the schemas themselves (see schemas/common.ts)
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    logController: new OneLineLogController(),
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const
  }
}

export interface AppOptions {
  config: Config
  /** false: the poller does not tick on its own (tests call app.poller.runOnce()) */
  pollerAutoStart?: boolean
}

/** The whole service as one plugin; server.ts and the tests register it through fastify-plugin. */
export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  fastify.setErrorHandler((err, request, reply) => {
    const { status, body } = toEnvelope(err as Error)
    if (status >= 500) request.log.error({ err }, 'request failed')
    else request.log.info({ code: body.ErrorCode, reason: body.Description }, 'request refused')
    return reply.code(status).send(body)
  })
  fastify.setNotFoundHandler((request, reply) => reply.code(404).send({
    ErrorCode: ErrorCode.NotFound, Description: `no route ${request.method} ${request.url.split('?')[0]}`
  }))

  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(database)
  await fastify.register(auth)
  await fastify.register(jenkins)
  await fastify.register(poller, { autoStart: opts.pollerAutoStart })
  await fastify.register(docs)
  await fastify.register(dashboard)
  await fastify.register(health)

  await fastify.register(async (api) => {
    const perMinute = opts.config.RATE_LIMIT_PER_MINUTE
    if (perMinute > 0) {
      await api.register(rateLimit, {
        max: perMinute,
        timeWindow: 60_000,
        // per token, so one Jenkins fleet sharing an address is one client; per address without a token
        keyGenerator: (request) => {
          // the token the route itself reads: the query string only counts on the webhook
          const token = tokenFrom(request, { allowQuery: request.routeOptions.config.access === 'webhook' })
          return token == null ? `ip:${request.ip}` : `token:${hashToken(token)}`
        },
        errorResponseBuilder: (_request, ctx) => apiError('RateLimited', `too many requests: retry in ${Math.ceil(ctx.ttl / 1000)} s`)
      })
    }
    api.addHook('onRequest', fastify.authorize)
    // Every answer carries an ETag (SHA-1 of its bytes); a GET sending it back in If-None-Match gets
    // 304 with no body, so dashboards that poll pay no transfer or parsing when nothing changed.
    await api.register(etag)
    // only reads are revalidated: 304 is documented on GET operations alone
    api.addHook('onRoute', (route) => {
      const response = route.schema?.response as Record<string, unknown> | undefined
      if (route.method !== 'GET' && route.method !== 'HEAD' && response != null) delete response[304]
    })
    await api.register(product)
    await api.register(plan)
    await api.register(build)
    await api.register(stage)
    await api.register(webhook)
  }, { prefix: API_PREFIX })
}
