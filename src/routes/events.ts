import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { apiError } from '../errors.js'
import { EnvelopeSchema, PlanIdSchema, responses, toInt } from '../schemas/common.js'
import { type StreamEvent, StreamEventSchema } from '../schemas/event.js'

const Id = (description: string) => Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[1-9][0-9]{0,15}$' })], { description }))
const HEARTBEAT_MS = 15_000

// The hub hands every subscriber the same event object: it is serialized once, however many streams carry it
const frames = new WeakMap<StreamEvent, string>()
function frameOf (e: StreamEvent): string {
  let frame = frames.get(e)
  if (frame === undefined) {
    frame = `id: ${e.EventID}\ndata: ${JSON.stringify(e)}\n\n`
    frames.set(e, frame)
  }
  return frame
}

// GET /events: Server-Sent Events over Fastify's raw reply (reply.hijack), framed per the HTML
// standard: `id:` + `data:` lines and a blank line per event, `:` comment lines as heartbeats.
const events: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/events', {
    config: { access: 'read', accessToken: true },
    schema: {
      tags: ['Build'],
      summary: 'Live stream of build and stage changes (Server-Sent Events), filtered and resumable',
      description: 'Each event is `id: <EventID>` and `data: <JSON>`. `Last-Event-ID` (header, or `?LastEventID=`) resumes: every later ' +
        'matching event is sent, then live ones. Events written by any server process on the same database arrive within 1 s. A comment line ' +
        'every 15 s keeps proxies from closing the stream. Browsers may send the token as `?access_token=` on this endpoint only.',
      querystring: Type.Object({
        ProductID: Id('only events of this product'),
        DevOpsPlanID: Type.Optional(PlanIdSchema),
        BuildIndex: Id('only events of this build (with DevOpsPlanID)'),
        LastEventID: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$' })], { description: 'resume after this EventID (as the Last-Event-ID header)' })),
        access_token: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the API token, for EventSource (never logged)' }))
      }),
      response: {
        ...responses(EnvelopeSchema({}), ['InvalidParameter', 'DatabaseUnavailable']),
        200: { description: 'text/event-stream: one event per change', content: { 'text/event-stream': { schema: StreamEventSchema } } }
      }
    }
  }, async (request, reply) => {
    const q = request.query
    const header = request.headers['last-event-id']
    const resume = q.LastEventID ?? (typeof header === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(header.trim()) ? header.trim() : undefined)
    // open streams, not hub subscribers: a stream joins the hub only after its first database read
    if (fastify.streams.size >= fastify.config.STREAM_MAX_SUBSCRIBERS) {
      throw apiError('DatabaseUnavailable', `this server already holds ${fastify.config.STREAM_MAX_SUBSCRIBERS} event streams; retry later or on another instance`)
    }
    const res = reply.raw
    reply.hijack()
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(': stream open\n\n')
    fastify.streams.add(res)
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    let unsubscribe = (): void => {}
    // the events of one hub tick leave in one socket write, not one write (a system call) each
    let corked = false
    const send = (e: StreamEvent): void => {
      if (!corked) {
        corked = true
        res.cork()
        process.nextTick(() => { corked = false; res.uncork() })
      }
      res.write(frameOf(e))
    }
    const end = (): void => {
      clearInterval(heartbeat)
      unsubscribe()
      fastify.streams.delete(res)
    }
    res.on('close', end)
    try {
      unsubscribe = await fastify.events.subscribe({
        filter: {
          productId: q.ProductID == null ? undefined : toInt(q.ProductID),
          planId: q.DevOpsPlanID == null ? undefined : toInt(q.DevOpsPlanID),
          buildIndex: q.BuildIndex == null ? undefined : toInt(q.BuildIndex)
        },
        send
      }, resume == null ? undefined : toInt(resume))
      if (res.destroyed) end()
    } catch (err) {
      request.log.warn({ err }, 'event stream failed')
      end()
      res.end()
    }
  })
}

export default events
