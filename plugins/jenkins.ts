import fp from 'fastify-plugin'
import { JenkinsClient } from '../src/lib/jenkins-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** null when JENKINS_URL is unset: Build/add then answers 1006 */
    jenkins: JenkinsClient | null
  }
}

export default fp(async function jenkins (fastify) {
  const { JENKINS_URL, JENKINS_USER, JENKINS_TOKEN, JENKINS_TIMEOUT_MS } = fastify.config
  const client = JENKINS_URL == null
    ? null
    : new JenkinsClient({ url: JENKINS_URL, user: JENKINS_USER, token: JENKINS_TOKEN, timeoutMs: JENKINS_TIMEOUT_MS })
  if (client == null) fastify.log.warn('JENKINS_URL is not set: Build/add will answer 1006')
  fastify.decorate('jenkins', client)
}, { name: 'jenkins', dependencies: ['config'] })
