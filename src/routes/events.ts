import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { apiError } from '../errors.js'
import { tokenFrom } from '../lib/token.js'
import { hashToken, presentTokenHashes } from '../repositories/tokens.js'
import { EnvelopeSchema, PlanIdSchema, responses, toInt } from '../schemas/common.js'
import { type StreamEvent, StreamEventSchema } from '../schemas/event.js'

const Id = (description: string) => Type.Optional(Type.Union(
  [Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[1-9][0-9]{0,15}$' })],
  { description }
))
const HEARTBEAT_MS = 15_000
/**
 * A stream with more than this unsent (a client that stopped reading) is closed: the client resumes
 * with Last-Event-ID. The backlog never gets near it (a page waits for the socket to drain).
 */
export const MAX_UNSENT = 1024 * 1024
/**
 * How often the tokens of open streams are looked up again: a revoked token's streams end within this (plus a query)
 */
export const REVOCATION_CHECK_MS = 400

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
  const perAddress = new Map<string, number>()
  // the token hash each open stream was authorized with, checked again every REVOCATION_CHECK_MS with
  // one query for all of them, so revoking a token (in any process: the table is the source) ends its streams
  const tokens = new Map<ServerResponse, string>()
  const recheck = setInterval(() => {
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
        ProductID: Id('only events of this product'),
        DevOpsPlanID: Type.Optional(PlanIdSchema),
        BuildIndex: Id('only events of this build (with DevOpsPlanID)'),
        LastEventID: Type.Optional(Type.Union(
          [Type.Integer({ minimum: 0 }), Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$' })],
          { description: 'resume after this EventID (as the Last-Event-ID header)' }
        )),
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
      (typeof header === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(header.trim()) ? header.trim() : undefined)
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
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(': stream open\n\n')
    fastify.streams.add(res)
    if (token != null) tokens.set(res, hashToken(token))
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
    heartbeat.unref()
    let unsubscribe = (): void => {}
    // The events of one hub tick leave as one string in one write: one chunk for the socket, where
    // a corked write per event left a chunk per event for writev to convert and send.
    let pending = ''
    let queued = false
    const flush = (): void => {
      queued = false
      const chunk = pending
      pending = ''
      if (chunk === '' || res.destroyed) return
      res.write(chunk)
      if (res.writableLength > MAX_UNSENT) {
        request.log.info({ unsent: res.writableLength },
          'event stream closed: the client does not read (it may resume with Last-Event-ID)')
        res.destroy()
      }
    }
    const send = (e: StreamEvent): void => {
      if (res.destroyed) return
      pending += frameOf(e)
      // a client that does not read is judged as soon as what it has not taken passes the limit
      if (res.writableLength + pending.length > MAX_UNSENT) { flush(); return }
      if (!queued) {
        queued = true
        process.nextTick(flush)
      }
    }
    // the backlog's next page waits until the socket took the last one (or the client went away)
    const ready = async (): Promise<boolean> => {
      flush() // what the page sent is judged now, not a tick later
      if (res.destroyed) return false
      if (!res.writableNeedDrain) return true
      return await new Promise<boolean>((resolve) => {
        const done = (more: boolean) => () => { res.off('drain', onDrain); res.off('close', onClose); resolve(more) }
        const onDrain = done(true)
        const onClose = done(false)
        res.once('drain', onDrain).once('close', onClose)
      })
    }
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      clearInterval(heartbeat)
      unsubscribe()
      fastify.streams.delete(res)
      tokens.delete(res)
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    }
    res.on('close', end)
    try {
      unsubscribe = await fastify.events.subscribe({
        filter: {
          productId: q.ProductID == null ? undefined : toInt(q.ProductID),
          planId: q.DevOpsPlanID == null ? undefined : toInt(q.DevOpsPlanID),
          buildIndex: q.BuildIndex == null ? undefined : toInt(q.BuildIndex)
        },
        send,
        ready
      }, resume == null ? undefined : toInt(resume))
      if (ended) unsubscribe() // the client left while the backlog was read
    } catch (err) {
      request.log.warn({ err }, 'event stream failed')
      end()
      res.end()
    }
  })
}

export default events
