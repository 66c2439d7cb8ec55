import fp from 'fastify-plugin'
import type { ServerResponse } from 'node:http'
import { EventHub } from '../src/events/hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** the live event stream's shared tail of the events table */
    events: EventHub
    /** open stream responses, ended when the server closes */
    streams: Set<ServerResponse>
  }
}

// One EventHub per process; the open streams end before the server closes (preClose), so
// `server.close()` never waits on a stream a browser keeps open.
export default fp(async function events (fastify) {
  const hub = new EventHub(fastify.db, fastify.config.STREAM_POLL_MS, (err) => {
    fastify.log.warn({ err }, 'event stream: reading new events failed')
  })
  const streams = new Set<ServerResponse>()
  fastify.decorate('events', hub)
  fastify.decorate('streams', streams)
  fastify.addHook('preClose', async () => {
    hub.close()
    for (const res of streams) res.end()
    streams.clear()
  })
}, { name: 'events', dependencies: ['config', 'database'] })
