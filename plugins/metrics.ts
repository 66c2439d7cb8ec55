import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { TERMINAL } from '../src/status.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry, pollerTick: Histogram }
  }
}

/**
 * GET /metrics in the Prometheus text format (docs/API.md, Dashboard and metrics), open like /healthz.
 * Labels carry only bounded, non-secret values: route patterns, statuses, outcomes and instance
 * keys from the configuration; never product, plan or job names, tokens or URLs.
 * A registry per app, so several apps in one process (the tests) do not share counters.
 */
export default fp(async function metrics (fastify) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const http = new Histogram({
    name: 'testcloud_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['route'],
    registers: [registry]
  })
  fastify.addHook('onResponse', async (request, reply) => {
    // the route pattern (/TestCloud/DevOps/Build/info), never the raw URL with its query string
    http.observe({ route: request.routeOptions.url ?? 'unmatched' }, reply.elapsedTime / 1000)
  })

  const pollerTick = new Histogram({
    name: 'testcloud_poller_tick_seconds',
    help: 'Duration of one poller tick',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry]
  })

  // computed at scrape time from the database, so every process reports the same totals
  new Gauge({ // eslint-disable-line no-new
    name: 'testcloud_builds_total',
    help: 'Builds in each final status',
    labelNames: ['source', 'status'],
    registers: [registry],
    async collect () {
      const rows = await fastify.db.selectFrom('builds')
        .select(['source', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', [...TERMINAL])
        .groupBy(['source', 'status'])
        .execute()
      this.reset()
      for (const r of rows) this.set({ source: String(r.source), status: r.status }, Number(r.n))
    }
  })

  new Counter({ // eslint-disable-line no-new
    name: 'testcloud_jenkins_requests_total',
    help: 'Requests made to each configured Jenkins instance, by outcome',
    labelNames: ['instance', 'outcome'],
    registers: [registry],
    collect () {
      this.reset()
      const registry = fastify.jenkins
      const clients = [...(registry.default == null ? [] : [{ key: 'default', client: registry.default }]),
        ...registry.names().map((key) => ({ key, client: registry.client(key) as NonNullable<typeof registry.default> }))]
      for (const { key, client } of clients) {
        let counted = 0
        for (const [outcome, n] of Object.entries(client.outcomes)) { this.inc({ instance: key, outcome }, n); counted += n }
        // requests made through the jenkins library (trigger) are counted but not classified
        if (client.requests > counted) this.inc({ instance: key, outcome: 'other' }, client.requests - counted)
      }
    }
  })

  fastify.decorate('metrics', { registry, pollerTick })
  fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics', dependencies: ['database', 'jenkins'] })
