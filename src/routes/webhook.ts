import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { apiError, ErrorCode } from '../errors.js'
import { sameSecret } from '../lib/secrets.js'
import { ok, OkEnvelope, responses } from '../schemas/common.js'
import { receiveNotification } from '../jenkins/webhook.js'
import { NotificationSchema } from '../schemas/notification.js'

/** The shared secret from ?token= (the Notification plugin cannot set headers), X-TestCloud-Token or a Bearer header. */
function givenToken (request: FastifyRequest<{ Querystring: { token?: string } }>): string | undefined {
  const bearer = request.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]
  const header = request.headers['x-testcloud-token']
  return request.query.token ?? bearer ?? (typeof header === 'string' ? header : undefined)
}

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/Webhook/jenkins', {
    schema: {
      tags: ['Webhook'],
      summary: 'Receiver for the Jenkins Notification plugin (JSON format)',
      description: 'Matched to a build by build.queue_id, else the DevOpsPlanID/BuildIndex parameters, else job URL + number. ' +
        'STARTED marks the build Running; COMPLETED/FINALIZED set its result and fetch its final stages at once. ' +
        `An unknown build is answered ${ErrorCode.OK} with a Description saying it was ignored. Needs WEBHOOK_TOKEN, as ?token= or a header.`,
      querystring: Type.Object({ token: Type.Optional(Type.String({ description: 'the WEBHOOK_TOKEN secret' })) }),
      body: NotificationSchema,
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'BodyTooLarge'])
    },
    config: { access: 'webhook' },
    // authenticate before the body is even parsed: a stranger learns nothing
    onRequest: async (request) => {
      const secret = fastify.config.WEBHOOK_TOKEN
      if (secret == null && await fastify.tokens.isOpen()) {
        throw apiError('NotFound', 'the Jenkins webhook is off: set WEBHOOK_TOKEN, or create a callback token, to turn it on')
      }
      const token = givenToken(request as FastifyRequest<{ Querystring: { token?: string } }>)
      if (token == null) throw apiError('Unauthorized', 'missing webhook token')
      if (secret != null && sameSecret(token, secret)) return
      const role = await fastify.tokens.role(token)
      if (role == null) throw apiError('Unauthorized', 'wrong webhook token')
      if (role !== 'callback' && role !== 'admin') throw apiError('Forbidden', `a ${role} token may not post to the webhook (needs callback or admin)`)
    }
  }, async (request) => {
    const description = await receiveNotification(fastify.db, fastify.poller, request.body)
    return { ...ok({}), Description: description }
  })
}

export default fp(routes, { name: 'webhook', dependencies: ['database', 'poller', 'auth'] })
