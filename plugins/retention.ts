import fp from 'fastify-plugin'
import { dialectName } from '../db/dialect.js'
import { Retention } from '../src/builds/retention.js'

declare module 'fastify' {
  interface FastifyInstance { retention: Retention }
}

export interface RetentionPluginOptions {
  /** false in tests: they call retention.runOnce() */
  autoStart?: boolean
}

// A setTimeout chain like the poller's: a long run delays the next instead of overlapping it.
// Registered after the database, so on close its run in flight ends before the pool does.
export default fp<RetentionPluginOptions>(async function retention (fastify, opts) {
  const c = fastify.config
  const job = new Retention(fastify.db, fastify.log.child({ plugin: 'retention' }),
    {
      days: c.RETAIN_DAYS,
      builds: c.RETAIN_BUILDS,
      intervalMs: c.RETAIN_INTERVAL_MS,
      // better-sqlite3 deletes on the thread that answers requests: the lock time is taken from them too
      share: dialectName(c.DATABASE_URL) === 'sqlite' ? 0.05 : 0.1
    })
  fastify.decorate('retention', job)
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<unknown> = Promise.resolve()
  let stopped = false
  const loop = (): void => {
    inFlight = job.runOnce().finally(() => {
      // a process that found the lease taken tries again within the interval: it may be the next to run
      if (!stopped) timer = setTimeout(loop, c.RETAIN_INTERVAL_MS)
    })
  }
  if (opts.autoStart !== false && job.enabled) {
    fastify.addHook('onReady', async () => { timer = setTimeout(loop, 1000) })
  }
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await inFlight
  })
}, { name: 'retention', dependencies: ['database', 'metrics'] })
