import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { gunzip } from 'node:zlib'
import { drainBody } from '../lib/drain-body.js'
import { apiError, toEnvelope } from '../errors.js'
import { receiveSpans, SpanHold } from '../builds/otlp-spans.js'
import { decodeJson, decodeProtobuf, emptyResponse, OtlpDecodeError } from '../otlp/decode.js'
import { OTLP_BODY_LIMIT, OtlpTraces, otlpDropped } from '../schemas/otlp.js'
import { webhookAuth } from './webhook.js'

// OTLP/HTTP receiver for Jenkins' OpenTelemetry plugin (opentelemetry-proto docs/specification.md,
// "OTLP/HTTP"): POST <endpoint>/v1/traces with a binary (what Jenkins sends) or JSON
// ExportTraceServiceRequest, gzip allowed. 200 with an empty ExportTraceServiceResponse in the
// request's encoding for every batch that decodes, matched or not: the exporter retries 429 and
// 5xx, re-sending the whole batch, so those are kept for a database outage (nothing stored).
// Registered without fastify-plugin: its body parsers and limit stay inside this plugin.

const TYPES = ['application/x-protobuf', 'application/json'] as const
/**
 * How much of an oversized export is read and dropped before its 1008 answer; beyond, the connection
 * closes. Past the body limit itself: a batch a little over the limit is drained whole, announced or not.
 */
const OTLP_DRAIN_LIMIT = 2 * OTLP_BODY_LIMIT

type Encoding = 'protobuf' | 'json'
interface Body { encoding: Encoding, data: Buffer }

export default async function otlp (fastify: FastifyInstance): Promise<void> {
  const hold = new SpanHold()

  // both encodings arrive as bytes: gzip is undone here, under the same limit, before anything reads them
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser([...TYPES], { parseAs: 'buffer', bodyLimit: OTLP_BODY_LIMIT }, (request, raw, done) => {
    const json = String(request.headers['content-type']).toLowerCase().includes('json')
    const encoding: Encoding = json ? 'json' : 'protobuf'
    inflate(request, raw as Buffer).then((data) => {
      if (encoding === 'protobuf') return done(null, { encoding, data })
      // the route's JSON schema checks the parsed object; the decoder reads it again with the ids in hex
      let parsed: unknown
      try {
        parsed = JSON.parse(data.toString('utf8'))
      } catch (err) {
        return done(apiError('InvalidParameter', `body: not JSON (${(err as Error).message})`))
      }
      if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return done(apiError('InvalidParameter', 'body: a JSON object is expected'))
      }
      done(null, Object.assign(parsed, { [BODY]: { encoding, data } }))
    }, (err: Error) => done(err))
  })

  fastify.setErrorHandler(async (err, request, reply) => {
    // a write the database refused (disk full, read-only) keeps /readyz at 503, as for the API routes
    fastify.dbWrites.observe(err)
    const e = err as Error & { code?: string }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // an answer sent while the exporter still sends ends in a connection reset, which it retries: drain first
      await drainBody(request.raw, OTLP_DRAIN_LIMIT)
      reply.header('connection', 'close')
    }
    const mapped = e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? apiError('BodyTooLarge', `OTLP body larger than ${OTLP_BODY_LIMIT / 1024 / 1024} MiB`)
      : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? apiError('InvalidParameter', 'Content-Type must be application/x-protobuf or application/json (OTLP/HTTP)')
        : err
    const { status, body } = toEnvelope(mapped as Error)
    if (status >= 500) request.log.error({ err }, 'request failed')
    return await reply.code(status).send(body)
  })

  // no rate limit: a 429 makes the exporter send the whole batch again
  const config = { access: 'webhook' as const, rateLimit: false as const }
  const onRequest = webhookAuth(fastify, { allowQuery: false })

  fastify.post('/Webhook/otlp/v1/traces', {
    schema: OtlpTraces,
    config,
    onRequest
  }, async (request, reply) => {
    const body = bodyOf(request.body)
    let spans
    try {
      spans = body.encoding === 'protobuf' ? decodeProtobuf(body.data) : decodeJson(request.body)
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw apiError('InvalidParameter', err.message)
      throw err
    }
    const report = await receiveSpans({
      db: fastify.db,
      jenkins: fastify.jenkins,
      hold,
      refresh: async (id) => await fastify.poller.pollNow(id),
      warn: (msg, err) => { request.log.warn({ err }, msg) }
    }, spans)
    fastify.metrics.otlp.count(report)
    return await answer(reply, body.encoding)
  })

  // setting an OTLP endpoint turns the plugin's metrics exporter on too (and logs, if configured):
  // answered as accepted and dropped, so Jenkins does not log export failures every minute
  for (const signal of ['metrics', 'logs'] as const) {
    fastify.post(`/Webhook/otlp/v1/${signal}`, {
      schema: otlpDropped(signal),
      config,
      onRequest
    }, async (request, reply) => await answer(reply, bodyOf(request.body).encoding))
  }
}

const BODY = Symbol('otlp body')

function bodyOf (parsed: unknown): Body {
  const p = parsed as Body & { [BODY]?: Body }
  return p[BODY] ?? p
}

async function answer (reply: FastifyReply, encoding: Encoding): Promise<FastifyReply> {
  // the spec: the response has the request's Content-Type
  const type = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json'
  return await reply.code(200).type(type).send(emptyResponse(encoding))
}

/** The body as sent: gunzipped when Content-Encoding says gzip (bounded like the body itself). */
async function inflate (request: FastifyRequest, raw: Buffer): Promise<Buffer> {
  const coding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  if (coding === 'identity' || coding === '') return raw
  if (coding !== 'gzip') {
    throw apiError('InvalidParameter', `Content-Encoding ${coding} is not supported: send gzip or nothing`)
  }
  // a body another layer already inflated (no gzip magic) is taken as it is
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw
  return await new Promise((resolve, reject) => {
    gunzip(raw, { maxOutputLength: OTLP_BODY_LIMIT }, (err, out) => {
      if (err == null) return resolve(out)
      reject((err as Error & { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
        ? apiError('BodyTooLarge', `OTLP body larger than ${OTLP_BODY_LIMIT / 1024 / 1024} MiB once gunzipped`)
        : apiError('InvalidParameter', `body: not gzip (${err.message})`))
    })
  })
}
