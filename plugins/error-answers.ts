import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ErrorCode, toEnvelope } from '../src/errors.js'
import { drainBody } from '../src/lib/drain-body.js'
import { WriteHealth } from '../src/lib/write-refusal.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** writes the database refused lately (disk full, read-only): /readyz reports them */
    dbWrites: WriteHealth
  }
}

/** How much of an oversized body is read (and dropped) before the 1008 answer; beyond, the connection closes. */
export const BODY_DRAIN_LIMIT = 16 * 1024 * 1024

/** Any failure as the envelope of the one error table (src/errors.ts), logged by its severity. */
export async function answerError (
  this: FastifyInstance, err: Error, request: FastifyRequest, reply: FastifyReply
): Promise<FastifyReply> {
  // the original error goes to the log (below, status 503); the answer names its cause
  this.dbWrites.observe(err)
  if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    await drainBody(request.raw, BODY_DRAIN_LIMIT)
    reply.header('connection', 'close')
  }
  const { status, body } = toEnvelope(err)
  if (status >= 500) request.log.error({ err }, 'request failed')
  else request.log.info({ code: body.ErrorCode, reason: body.Description }, 'request refused')
  return reply.code(status).send(body)
}

// Every failure, and every path or method that has no route, is answered with an envelope.
export default fp(async function errorAnswers (fastify) {
  fastify.decorate('dbWrites', new WriteHealth())
  fastify.setErrorHandler(answerError)
  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    // the route exists with another method: 405 with Allow, so the caller sees the method is wrong, not the path
    const allow = ['GET', 'POST']
      .filter((method) => method !== request.method && fastify.hasRoute({ method, url: path }))
    if (allow.length > 0) {
      return reply.code(405).header('allow', allow.join(', ')).send({
        ErrorCode: ErrorCode.InvalidParameter,
        Description: `${request.method} is not allowed on ${path}: use ${allow.join(' or ')}`
      })
    }
    return reply.code(404).send({ ErrorCode: ErrorCode.NotFound, Description: `no route ${request.method} ${path}` })
  })
}, { name: 'error-answers' })
