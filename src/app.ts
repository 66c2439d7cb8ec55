import type { FastifyInstance } from 'fastify'
import apiConventions from '../plugins/api-conventions.js'
import apiGuards from '../plugins/api-guards.js'
import auth from '../plugins/auth.js'
import configPlugin from '../plugins/config.js'
import connectionLimits from '../plugins/connection-limits.js'
import dashboard from '../plugins/dashboard.js'
import database from '../plugins/database.js'
import docs from '../plugins/docs.js'
import errorAnswers from '../plugins/error-answers.js'
import events from '../plugins/events.js'
import jenkins from '../plugins/jenkins.js'
import metrics from '../plugins/metrics.js'
import poller from '../plugins/poller.js'
import retention from '../plugins/retention.js'
import securityHeaders from '../plugins/security-headers.js'
import type { Config } from './config.js'
import build from './routes/build.js'
import eventStream from './routes/events.js'
import health from './routes/health.js'
import otlp from './routes/otlp.js'
import overviewRoutes from './routes/overview.js'
import plan from './routes/plan.js'
import product from './routes/product.js'
import stage from './routes/stage.js'
import webhook from './routes/webhook.js'

// the server, the tests, the scripts and the benchmarks build their Fastify from here
export { BODY_LIMIT, fastifyOptions, trustProxy } from './fastify-options.js'

export const API_PREFIX = '/TestCloud/DevOps'

export interface AppOptions {
  config: Config
  /** false: the poller does not tick on its own (tests call app.poller.runOnce()) */
  pollerAutoStart?: boolean
}

/** The whole service as one plugin; server.ts and the tests register it through fastify-plugin. */
export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  // Fastify has no option for it: headers (Node's default 60 s) must arrive within the request timeout
  fastify.server.headersTimeout = 15_000
  await fastify.register(errorAnswers)
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
    await api.register(apiGuards) // query keys, rate limit, credentials: before any handler
    await api.register(apiConventions)
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
