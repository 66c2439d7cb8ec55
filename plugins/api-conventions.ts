import etag from '@fastify/etag'
import fp from 'fastify-plugin'
import { operationIdFor } from '../src/openapi-info.js'
import cachedReply from './cached-reply.js'
import intLike from './int-like.js'

// What every API route follows without saying so: every answer has an ETag, integer-like query values
// arrive as numbers, cached answers go out as they are (reply.cached), and the spec names each operation.
export default fp(async function apiConventions (api) {
  await api.register(intLike)
  await api.register(cachedReply)
  // Every answer carries an ETag (SHA-1 of its bytes); a GET sending it back in If-None-Match gets
  // 304 with no body, so dashboards that poll pay no transfer or parsing when nothing changed.
  // Cached reads bring their own, hashed once per version (lib/versioned-cache.ts), which the plugin keeps.
  await api.register(etag)
  // only reads are revalidated: 304 is documented on GET operations alone
  api.addHook('onRoute', (route) => {
    const operationId = operationIdFor(route.url)
    if (route.schema != null && operationId != null && route.method !== 'HEAD') {
      (route.schema as Record<string, unknown>).operationId = operationId
    }
    const response = route.schema?.response as Record<string, unknown> | undefined
    if (route.method !== 'GET' && route.method !== 'HEAD' && response != null) delete response[304]
  })
}, { name: 'api-conventions' })
