import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import etag from '@fastify/etag'
import rateLimit from '@fastify/rate-limit'
import auth from '../plugins/auth.js'
import configPlugin from '../plugins/config.js'
import connectionLimits from '../plugins/connection-limits.js'
import dashboard from '../plugins/dashboard.js'
import database from '../plugins/database.js'
import docs from '../plugins/docs.js'
import events from '../plugins/events.js'
import jenkins from '../plugins/jenkins.js'
import metrics from '../plugins/metrics.js'
import poller from '../plugins/poller.js'
import retention from '../plugins/retention.js'
import securityHeaders from '../plugins/security-headers.js'
import type { Config } from './config.js'
import { type ApiError, apiError, ErrorCode, toEnvelope } from './errors.js'
import { OneLineLogController } from './log-controller.js'
import { operationIdFor } from './openapi-info.js'
import { AuthFailures } from './lib/auth-failures.js'
import { WriteHealth } from './repositories/db-errors.js'
import build from './routes/build.js'
import eventStream from './routes/events.js'
import health from './routes/health.js'
import overviewRoutes from './routes/overview.js'
import plan from './routes/plan.js'
import product from './routes/product.js'
import stage from './routes/stage.js'
import webhook from './routes/webhook.js'
import otlp from './routes/otlp.js'

export const API_PREFIX = '/TestCloud/DevOps'
export const BODY_LIMIT = 1024 * 1024

/** Fastify options shared by the server and the tests: the validation and limits are part of the contract. */
export function fastifyOptions (logger: boolean | object = false, config: Pick<Config, 'TRUST_PROXY'> = {}) {
  return {
    logger,
    // which proxies may say who the client is (X-Forwarded-For): the address the failed-auth limit,
    // the rate limit and the stream cap count by; none by default, so a client cannot claim another's
    trustProxy: trustProxy(config.TRUST_PROXY),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Integers-as-strings are handled by the schemas themselves (see schemas/common.ts)
    // verbose: errors carry their schema, so a message can state an integer's range (errors.ts)
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
    // Slow or idle clients cannot hold connections for ever (issue 12, point 8). requestTimeout bounds
    // only RECEIVING a request (headers and body), so a long answer such as a future SSE stream is not
    // cut by it; connectionTimeout is the socket's inactivity limit, so such a stream must write (a
    // heartbeat) more often than that.
    requestTimeout: 30_000,
    connectionTimeout: 120_000,
    keepAliveTimeout: 5_000,
    maxRequestsPerSocket: 10_000,
    logController: new OneLineLogController(),
    schemaController: { compilersFactory: lazyCompilers() },
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const
  }
}

/** TRUST_PROXY as Fastify's trustProxy: true/false, a hop count, or addresses and CIDRs separated by commas. */
export function trustProxy (value: string | undefined): boolean | string | ((address: string, hop: number) => boolean) {
  if (value == null || value === 'false') return false
  if (value === 'true') return true
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value)
    return (_address, hop) => hop < hops
  }
  return value
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown, schemaEnv?: unknown }

/**
 * Fastify's own compilers (ajv for validation, fast-json-stringify for answers), each route's code
 * built when the route first needs it instead of all at start: compiling the routes' schemas was
 * ~150 ms of a ~800 ms start and ~15 MB (issue 14). A schema error then shows on the first request
 * to that route, which the test suite makes for every route.
 */
function lazyCompilers (): CompilersFactory {
  // loaded on the first compile too: ajv and fast-json-stringify are ~100 modules
  const require = createRequire(import.meta.url)
  type BuildValidator = NonNullable<CompilersFactory['buildValidator']>
  type BuildSerializer = NonNullable<CompilersFactory['buildSerializer']>
  let validators: BuildValidator | undefined
  let serializers: BuildSerializer | undefined
  return {
    buildValidator: (externalSchemas, options) => {
      let compile: ReturnType<BuildValidator> | undefined
      return (route) => {
        let validate: Validate | undefined
        const lazy: Validate = (data, context) => {
          validators ??= (require('@fastify/ajv-compiler') as () => BuildValidator)()
          compile ??= validators(externalSchemas, options)
          validate ??= compile(route) as Validate
          const valid = validate(data, context)
          lazy.errors = validate.errors // Fastify reads the errors off the function it was given
          return valid
        }
        // as on Ajv's functions: Fastify then passes the parent, so Ajv may replace a root value
        lazy.schemaEnv = true
        return lazy as ReturnType<ReturnType<BuildValidator>>
      }
    },
    buildSerializer: (externalSchemas, options) => {
      let compile: ReturnType<BuildSerializer> | undefined
      return (route) => {
        let serialize: ((data: unknown) => string) | undefined
        return (data: unknown) => {
          serializers ??= (require('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)()
          compile ??= serializers(externalSchemas, options)
          serialize ??= compile(route)
          return serialize(data)
        }
      }
    }
  }
}

export interface AppOptions {
  config: Config
  /** false: the poller does not tick on its own (tests call app.poller.runOnce()) */
  pollerAutoStart?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** writes the database refused lately (disk full, read-only): /readyz reports them */
    dbWrites: WriteHealth
  }
}

/** How much of an oversized body is read (and dropped) before the 1008 answer; beyond, the connection closes. */
export const BODY_DRAIN_LIMIT = 16 * 1024 * 1024

/**
 * Reads and drops the rest of a request body, up to `max` bytes or 10 s. An answer sent while the
 * client is still sending makes the server close a socket that data keeps arriving on: the peer
 * then gets a reset, which may discard the answer before the client reads it.
 */
async function drainBody (req: FastifyRequest['raw'], max: number): Promise<void> {
  if (req.complete || req.destroyed) return
  await new Promise<void>((resolve) => {
    let read = 0
    const done = (): void => {
      clearTimeout(timer)
      req.off('data', onData).off('end', done).off('close', done).off('error', done)
      resolve()
    }
    const onData = (chunk: Buffer): void => { read += chunk.length; if (read > max) done() }
    const timer = setTimeout(done, 10_000)
    req.on('data', onData).once('end', done).once('close', done).once('error', done)
    req.resume()
  })
}

async function answerError (
  this: FastifyInstance, err: Error, request: FastifyRequest, reply: FastifyReply
): Promise<FastifyReply> {
  // the original error goes to the log (below, status 503); the answer names its cause
  this.dbWrites.observe(err)
  if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    await drainBody(request.raw, BODY_DRAIN_LIMIT)
    reply.header('connection', 'close')
  }
  const { status, body } = toEnvelope(err)
  if (status >= 500) request.log.error({ err }, 'request failed')
  else request.log.info({ code: body.ErrorCode, reason: body.Description }, 'request refused')
  return reply.code(status).send(body)
}

/** The whole service as one plugin; server.ts and the tests register it through fastify-plugin. */
export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  // Fastify has no option for it: headers (Node's default 60 s) must arrive within the request timeout
  fastify.server.headersTimeout = 15_000
  fastify.decorate('dbWrites', new WriteHealth())
  fastify.setErrorHandler(answerError)
  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    // the route exists with another method: 405 with Allow, so the caller sees the method is wrong, not the path
    const allow = ['GET', 'POST']
      .filter((method) => method !== request.method && fastify.hasRoute({ method, url: path }))
    if (allow.length > 0) {
      return reply.code(405).header('allow', allow.join(', ')).send({
        ErrorCode: ErrorCode.InvalidParameter,
        Description: `${request.method} is not allowed on ${path}: use ${allow.join(' or ')}`
      })
    }
    return reply.code(404).send({ ErrorCode: ErrorCode.NotFound, Description: `no route ${request.method} ${path}` })
  })

  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(connectionLimits)
  await fastify.register(database)
  await fastify.register(auth)
  await fastify.register(jenkins)
  await fastify.register(metrics)
  await fastify.register(poller, { autoStart: opts.pollerAutoStart })
  await fastify.register(retention, { autoStart: opts.pollerAutoStart })
  await fastify.register(events)
  await fastify.register(securityHeaders) // before the pages it adds headers to
  await fastify.register(docs)
  await fastify.register(dashboard)
  await fastify.register(health)

  await fastify.register(async (api) => {
    // Failed authentications are limited per address (see lib/auth-failures.ts), and only they: a
    // request whose credentials are right is served whatever else came from its address (behind a
    // proxy without TRUST_PROXY, that address is everyone's). So the limit turns a 1004 into 1009.
    const failures = new AuthFailures(opts.config.AUTH_FAILURES_PER_MINUTE)
    api.setErrorHandler((err, request, reply) => {
      const wait = (err as Partial<ApiError>).errorName === 'Unauthorized' ? failures.blockedFor(request.ip) : 0
      if (wait <= 0) return answerError.call(fastify, err as Error, request, reply)
      reply.header('retry-after', Math.ceil(wait / 1000))
      const refusal = apiError('RateLimited',
        `too many failed authentications from this address: retry in ${Math.ceil(wait / 1000)} s`)
      return answerError.call(fastify, refusal, request, reply)
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
    const perMinute = opts.config.RATE_LIMIT_PER_MINUTE
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
    api.addHook('onRequest', fastify.authorize)
    // Every answer carries an ETag (SHA-1 of its bytes); a GET sending it back in If-None-Match gets
    // 304 with no body, so dashboards that poll pay no transfer or parsing when nothing changed.
    // Cached reads bring their own, hashed once per version (lib/versioned-cache.ts), which the plugin keeps.
    await api.register(etag)
    // only reads are revalidated: 304 is documented on GET operations alone
    api.addHook('onRoute', (route) => {
      const operationId = operationIdFor(route.url)
      if (route.schema != null && operationId != null && route.method !== 'HEAD') {
        (route.schema as Record<string, unknown>).operationId = operationId
      }
      const response = route.schema?.response as Record<string, unknown> | undefined
      if (route.method !== 'GET' && route.method !== 'HEAD' && response != null) delete response[304]
    })
    await api.register(product)
    await api.register(plan)
    await api.register(build)
    await api.register(stage)
    await api.register(overviewRoutes)
    await api.register(eventStream)
    await api.register(webhook)
    // not through fastify-plugin: its body parsers (protobuf, gzip, a larger limit) stay its own
    await api.register(otlp)
  }, { prefix: API_PREFIX })
}
