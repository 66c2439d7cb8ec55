import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { apiError } from '../errors.js'
import { SseWriter } from '../events/sse-writer.js'
import { tokenFrom } from '../lib/token.js'
import { hashToken, openModeEnded, presentTokenHashes } from '../repositories/tokens.js'
import { EnvelopeSchema, IdSchema, IntLike, PlanIdSchema, responses } from '../schemas/common.js'
import { StreamEventSchema } from '../schemas/event.js'

export { MAX_UNSENT } from '../events/sse-writer.js'

/** An EventID as a query value or a Last-Event-ID header: 0 (everything) or up to 15 digits. */
const EVENT_ID = '^(0|[1-9][0-9]{0,14})$'
/**
 * How often the tokens of open streams are looked up again: a revoked token's streams end within this (plus a query)
 */
export const REVOCATION_CHECK_MS = 400

// GET /events: Server-Sent Events over Fastify's raw reply (reply.hijack), written by SseWriter.
const events: FastifyPluginAsyncTypebox = async (fastify) => {
  const perAddress = new Map<string, number>()
  // the token hash each open stream was authorized with, checked again every REVOCATION_CHECK_MS with
  // one query for all of them, so revoking a token (in any process: the table is the source) ends its streams
  const tokens = new Map<ServerResponse, string>()
  // streams opened while the API was open (no token): they end when the first token is created, in
  // any process, as a request without a token would then be refused
  const tokenless = new Set<ServerResponse>()
  const recheck = setInterval(() => {
    if (tokenless.size > 0) {
      const opened = [...tokenless]
      openModeEnded(fastify.db).then((ended) => {
        if (!ended) return
        for (const res of opened) {
          if (!tokenless.has(res)) continue
          fastify.log.info('event stream closed: the API now needs a token')
          res.destroy()
        }
      }, (err: unknown) => { fastify.log.warn({ err }, 'event stream: checking open mode failed') })
    }
    if (tokens.size === 0) return
    // only the streams open when the query was sent: one opened while it runs has a hash it did not ask about
    const asked = [...tokens]
    presentTokenHashes(fastify.db, [...new Set(tokens.values())]).then((present) => {
      for (const [res, hash] of asked) {
        if (present.has(hash) || !tokens.has(res)) continue
        fastify.log.info('event stream closed: its token was revoked')
        res.destroy()
      }
    }, (err: unknown) => { fastify.log.warn({ err }, 'event stream: checking tokens failed') })
  }, REVOCATION_CHECK_MS)
  recheck.unref()
  fastify.addHook('onClose', async () => { clearInterval(recheck) })

  fastify.get('/events', {
    config: { access: 'read', accessToken: true },
    schema: {
      tags: ['Build'],
      summary: 'Live stream of build and stage changes (Server-Sent Events), filtered and resumable',
      description: 'Each event is `id: <EventID>` and `data: <JSON>`. `Last-Event-ID` (header, or `?LastEventID=`) ' +
        'resumes: every later matching event is sent, then live ones. Events written by any server process on the ' +
        'same database arrive within 1 s. A comment line every 15 s keeps proxies from closing the stream. ' +
        'Browsers may send the token as `?access_token=` on this endpoint only.',
      querystring: Type.Object({
        ProductID: Type.Optional(IdSchema('only events of this product')),
        DevOpsPlanID: Type.Optional(PlanIdSchema),
        BuildIndex: Type.Optional(IdSchema('only events of this build (with DevOpsPlanID)')),
        LastEventID: Type.Optional(IntLike({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, EVENT_ID,
          'resume after this EventID (as the Last-Event-ID header)')),
        access_token: Type.Optional(Type.String({
          minLength: 1, maxLength: 256, description: 'the API token, for EventSource (never logged)'
        }))
      }),
      response: {
        ...responses(EnvelopeSchema({}), ['InvalidParameter', 'DatabaseUnavailable']),
        200: {
          description: 'text/event-stream: one event per change',
          content: { 'text/event-stream': { schema: StreamEventSchema } }
        }
      }
    }
  }, async (request, reply) => {
    const q = request.query
    const header = request.headers['last-event-id']
    const resume = q.LastEventID ??
      (typeof header === 'string' && new RegExp(EVENT_ID).test(header.trim()) ? Number(header.trim()) : undefined)
    // open streams, not hub subscribers: a stream joins the hub only after its first database read
    if (fastify.streams.size >= fastify.config.STREAM_MAX_SUBSCRIBERS) {
      throw apiError('DatabaseUnavailable', `this server already holds ${fastify.config.STREAM_MAX_SUBSCRIBERS} ` +
        'event streams; retry later or on another instance')
    }
    // absent in open mode (no token needed); when the stream opened with one, it lives as long as the token
    const token = (await fastify.tokens.isOpen()) ? undefined : tokenFrom(request, { allowAccessToken: true })
    // one client cannot take every slot: others' dashboards would fall back to polling
    const address = request.ip
    const mine = perAddress.get(address) ?? 0
    if (mine >= fastify.config.STREAM_MAX_PER_ADDRESS) {
      throw apiError('RateLimited', `this address already holds ${mine} event streams ` +
        `(at most ${fastify.config.STREAM_MAX_PER_ADDRESS}); close one first`)
    }
    perAddress.set(address, mine + 1)
    const res = reply.raw
    reply.hijack()
    const writer = new SseWriter(res, request.log)
    fastify.streams.add(res)
    if (token != null) tokens.set(res, hashToken(token))
    else tokenless.add(res)
    let unsubscribe = (): void => {}
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      writer.stop()
      unsubscribe()
      fastify.streams.delete(res)
      tokens.delete(res)
      tokenless.delete(res)
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    }
    res.on('close', end)
    try {
      unsubscribe = await fastify.events.subscribe({
        filter: { productId: q.ProductID, planId: q.DevOpsPlanID, buildIndex: q.BuildIndex },
        send: writer.send,
        ready: writer.ready
      }, resume)
      if (ended) unsubscribe() // the client left while the backlog was read
    } catch (err) {
      request.log.warn({ err }, 'event stream failed')
      end()
      res.end()
    }
  })
}

export default events
