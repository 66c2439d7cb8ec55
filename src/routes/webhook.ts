import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { apiError, ErrorCode } from '../errors.js'
import { checkPercentEncoding } from '../lib/job-name.js'
import { sameSecret } from '../lib/secrets.js'
import { tokenFrom } from '../lib/token.js'
import { ok, OkEnvelope, responses } from '../schemas/common.js'
import { receiveNotification } from '../builds/notification.js'
import { hashToken } from '../repositories/tokens.js'
import { NotificationSchema } from '../schemas/notification.js'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/Webhook/jenkins', {
    schema: {
      tags: ['Webhook'],
      summary: 'Receiver for the Jenkins Notification plugin (JSON format)',
      description: 'Matched to a build by build.queue_id, else the DevOpsPlanID/BuildIndex parameters, ' +
        'else job URL + number. STARTED marks the build Running; COMPLETED/FINALIZED set its result and fetch its ' +
        `final stages at once. An unknown build is answered ${ErrorCode.OK} with a Description saying it was ` +
        'ignored. Needs WEBHOOK_TOKEN, as ?token= or a header.',
      querystring: Type.Object({ token: Type.Optional(Type.String({ description: 'the WEBHOOK_TOKEN secret' })) }),
      body: NotificationSchema,
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'BodyTooLarge'])
    },
    config: { access: 'webhook' },
    // authenticate before the body is even parsed: a stranger learns nothing
    onRequest: webhookAuth(fastify, { allowQuery: true })
  }, async (request) => {
    const n = request.body
    const urls = [
      ['body/url', n.url], ['body/build/url', n.build.url], ['body/build/full_url', n.build.full_url]
    ] as const
    for (const [field, value] of urls) checkPercentEncoding(value, field)
    const description = await receiveNotification(fastify.db, {
      registry: fastify.jenkins,
      pollNow: async (buildId) => await fastify.poller.pollNow(buildId)
    }, request.body)
    return { ...ok({}), Description: description }
  })
}

/**
 * onRequest hook of the webhook receivers: the shared WEBHOOK_TOKEN or a callback/admin token, as
 * `Authorization: Bearer` or `X-TestCloud-Token` (and `?token=` with allowQuery: the Notification
 * plugin cannot set headers). Off (404) while neither exists.
 */
export function webhookAuth (fastify: FastifyInstance, { allowQuery }: { allowQuery: boolean }):
(request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const secret = fastify.config.WEBHOOK_TOKEN
    if (secret == null && await fastify.tokens.isOpen()) {
      throw apiError('NotFound',
        'the Jenkins webhook is off: set WEBHOOK_TOKEN, or create a callback token, to turn it on')
    }
    const token = tokenFrom(request, { allowQuery })
    // with WEBHOOK_TOKEN unset the shared secret is off: say so, and how to turn it on
    const off = secret == null
      ? ' (the shared secret is off: WEBHOOK_TOKEN is not set; send a callback token, ' +
        'or set WEBHOOK_TOKEN to turn the secret on)'
      : ''
    if (token == null) throw apiError('Unauthorized', `missing webhook token${off}`)
    if (secret != null && sameSecret(token, secret)) { request.rateKey = `token:${hashToken(token)}`; return }
    const role = await fastify.tokens.role(token)
    if (role == null) throw apiError('Unauthorized', `wrong webhook token${off}`)
    request.rateKey = `token:${hashToken(token)}`
    if (role !== 'callback' && role !== 'admin') {
      throw apiError('Forbidden', `a ${role} token may not post to the webhook (needs callback or admin)`)
    }
  }
}

export default fp(routes, { name: 'webhook', dependencies: ['database', 'poller', 'auth'] })
