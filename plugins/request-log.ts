import fp from 'fastify-plugin'
import { redactUrl } from '../src/lib/secrets.js'

// One log line per request, written when the answer has gone out (Fastify's own request logging,
// two lines per request, is off in server.ts): half the logging cost under load. Query tokens are
// masked; headers (Authorization) are never logged.
export default fp(async function requestLog (fastify) {
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      url: redactUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10
    }, 'request')
  })
}, { name: 'request-log' })
