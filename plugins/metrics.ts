import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { SpanReport } from '../src/builds/otlp-spans.js'
import { TERMINAL } from '../src/status.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** `clock`: what the build counts' and the text's age is measured with (tests move it on) */
    metrics: { registry: Registry, pollerTick: Histogram, otlp: OtlpCounters, clock: () => number }
  }
}

/** How old the build counts /metrics reports may be */
export const BUILD_COUNTS_MS = 15_000
/** How old the whole /metrics text may be */
export const METRICS_TEXT_MS = 1000

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

  // Read from the database, so every process reports the same totals, but at most once per
  // BUILD_COUNTS_MS: the GROUP BY reads every build (~100 ms with 200k builds, on SQLite blocking
  // the event loop), and /metrics is open, so a scrape loop must not cost a scan per request.
  const clock = { now: Date.now }
  let counts: { rows: Array<{ source: string, status: string, n: number }>, at: number } | undefined
  let reading: Promise<NonNullable<typeof counts>> | undefined
  const buildCounts = async (): Promise<NonNullable<typeof counts>> => {
    if (counts != null && clock.now() - counts.at < BUILD_COUNTS_MS) return counts
    reading ??= (async () => {
      try {
        const rows = await fastify.db.selectFrom('builds')
          .select(['source', 'status', (eb) => eb.fn.countAll<number>().as('n')])
          .where('status', 'in', [...TERMINAL])
          .groupBy(['source', 'status'])
          .execute()
        counts = {
          rows: rows.map((r) => ({ source: String(r.source), status: r.status, n: Number(r.n) })),
          at: clock.now()
        }
        return counts
      } finally {
        reading = undefined
      }
    })()
    return await reading
  }
  new Gauge({ // eslint-disable-line no-new
    name: 'testcloud_builds_total',
    help: `Builds in each final status (read from the database at most every ${BUILD_COUNTS_MS / 1000} s)`,
    labelNames: ['source', 'status'],
    registers: [registry],
    async collect () {
      const { rows } = await buildCounts()
      this.reset()
      for (const r of rows) this.set({ source: r.source, status: r.status }, r.n)
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
      const clients = [
        ...(registry.default == null ? [] : [{ key: 'default', client: registry.default }]),
        ...registry
          .names()
          .map((key) => ({ key, client: registry.client(key) as NonNullable<typeof registry.default> }))
      ]
      for (const { key, client } of clients) {
        let counted = 0
        for (const [outcome, n] of Object.entries(client.outcomes)) {
          this.inc({ instance: key, outcome }, n)
          counted += n
        }
        // requests made through the jenkins library (trigger) are counted but not classified
        if (client.requests > counted) this.inc({ instance: key, outcome: 'other' }, client.requests - counted)
      }
    }
  })

  // retention (src/builds/retention.ts): rows this process deleted; summed over processes, what was pruned
  new Counter({ // eslint-disable-line no-new
    name: 'testcloud_retention_pruned_total',
    help: 'Rows deleted by retention (builds, stages, events) by this process',
    labelNames: ['kind'],
    registers: [registry],
    collect () {
      this.reset()
      if (!fastify.hasDecorator('retention')) return
      for (const [kind, n] of Object.entries(fastify.retention.pruned)) this.inc({ kind }, n)
    }
  })

  fastify.decorate('metrics', {
    registry,
    pollerTick,
    otlp: otlpCounters(registry),
    get clock () { return clock.now },
    set clock (now: () => number) { clock.now = now }
  })
  // The text itself is rendered at most once per second (default process metrics, every histogram's
  // buckets: ~2–3 ms of CPU): a client scraping in a loop then costs a copy, not the event loop's time.
  let text: { body: string, at: number } | undefined
  let rendering: Promise<string> | undefined
  fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    if (text == null || clock.now() - text.at >= METRICS_TEXT_MS) {
      rendering ??= registry.metrics()
        .then((body) => { text = { body, at: clock.now() }; return body })
        .finally(() => { rendering = undefined })
      await rendering
    }
    return await reply.type(registry.contentType).send(text?.body)
  })
}, { name: 'metrics', dependencies: ['database', 'jenkins'] })

// ---- OTLP receiver (routes/otlp.ts): what became of the spans Jenkins pushed, counted per process ----

export interface OtlpCounters { count: (report: SpanReport) => void }

function otlpCounters (registry: Registry): OtlpCounters {
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] })
  const received = counter('testcloud_otlp_spans_received_total', 'Spans received on /Webhook/otlp/v1/traces')
  const matched = counter('testcloud_otlp_spans_matched_total', 'Spans applied to one of our builds')
  const held = counter('testcloud_otlp_spans_held_total', 'Spans kept in memory until their root or parents come')
  const dropped = new Counter({
    name: 'testcloud_otlp_spans_dropped_total',
    help: 'Spans not applied, by reason: not_stage, invalid, no_build, other_run, expired, refused',
    labelNames: ['reason'],
    registers: [registry]
  })
  return {
    count (r) {
      received.inc(r.received)
      matched.inc(r.matched)
      held.inc(r.held)
      for (const [reason, n] of Object.entries(r.dropped)) dropped.inc({ reason }, n)
    }
  }
}
