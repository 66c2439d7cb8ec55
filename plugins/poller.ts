import fp from 'fastify-plugin'
import { Poller } from '../src/builds/poller.js'
import { Discovery } from '../src/builds/discovery.js'

declare module 'fastify' {
  interface FastifyInstance { poller: Poller, discovery: Discovery }
}

export interface PollerPluginOptions {
  /** false in tests: they drive ticks with poller.runOnce() */
  autoStart?: boolean
}

// A setTimeout chain, not setInterval: a slow tick delays the next one instead of overlapping it.
// Registered after the database, so on close it stops (and its tick in flight ends) before the pool does.
export default fp<PollerPluginOptions>(async function poller (fastify, opts) {
  const interval = fastify.config.POLL_INTERVAL_MS
  const instance = new Poller(fastify.db, fastify.jenkins, fastify.log.child({ plugin: 'poller' }), {
    intervalMs: interval,
    triggerTimeoutMs: fastify.config.JENKINS_TIMEOUT_MS,
    onError: (err) => fastify.dbWrites.observe(err)
  })
  fastify.decorate('poller', instance)
  // discovery of runs Jenkins starts itself (src/builds/discovery.ts): its own class, run after each poller tick
  fastify.decorate(
    'discovery',
    new Discovery(fastify.db, fastify.jenkins, fastify.log.child({ plugin: 'discovery' }), {
      enabled: fastify.config.DISCOVER_BUILDS
    })
  )

  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<unknown> = Promise.resolve()
  let stopped = false
  let failing = false // one log line when ticks start failing (database down) and one when they recover
  const loop = (): void => {
    const observe = fastify.metrics.pollerTick.startTimer()
    inFlight = instance.runOnce()
      .then(async () => await fastify.discovery.runOnce()) // discovery: one request per watched job
      .then(() => {
        if (failing) fastify.log.info('poller: ticks succeed again')
        failing = false
      }, (err: unknown) => {
        fastify.dbWrites.observe(err)
        if (!failing) fastify.log.error({ err }, 'poller: tick failed; retrying every interval')
        failing = true
      })
      .finally(() => {
        observe()
        if (!stopped) timer = setTimeout(loop, interval)
      })
  }
  if (opts.autoStart !== false && fastify.jenkins.configured) {
    fastify.addHook('onReady', async () => { timer = setTimeout(loop, 0) })
  }
  fastify.addHook('onClose', async () => {
    stopped = true
    clearTimeout(timer)
    await inFlight
  })
}, { name: 'poller', dependencies: ['database', 'jenkins', 'metrics'] })
