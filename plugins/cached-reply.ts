import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import type { CachedAnswer } from '../src/lib/versioned-cache.js'

declare module 'fastify' {
  interface FastifyReply {
    /** Sends an answer serialized once for its version (lib/versioned-reader.ts) with the ETag it carries. */
    cached: (answer: CachedAnswer | Promise<CachedAnswer>) => Promise<FastifyReply>
  }
}

/** The content type of an answer sent as a ready JSON string. */
export const JSON_UTF8 = 'application/json; charset=utf-8'

// The answer is already JSON and its ETag already hashed, so neither the serializer nor the ETag
// plugin works on it again; the ETag plugin still answers 304 when If-None-Match matches.
export default fp(async function cachedReply (fastify) {
  fastify.decorateReply('cached', async function (this: FastifyReply, answer: CachedAnswer | Promise<CachedAnswer>) {
    const { body, etag } = await answer
    return await this.type(JSON_UTF8).header('etag', etag).send(body)
  })
}, { name: 'cached-reply' })
