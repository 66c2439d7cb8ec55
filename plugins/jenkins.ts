import fp from 'fastify-plugin'
import { ErrorCode } from '../src/errors.js'
import { JenkinsRegistry } from '../src/jenkins/registry.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** every configured Jenkins; `jenkins.client(null)` is null when JENKINS_URL is unset */
    jenkins: JenkinsRegistry
  }
}

export default fp(async function jenkins (fastify) {
  const registry = new JenkinsRegistry(fastify.config)
  if (registry.default == null) fastify.log.warn(`JENKINS_URL is not set: Build/add on plans without a JenkinsName answers ${ErrorCode.JenkinsNotConfigured}`)
  if (registry.names().length > 0) fastify.log.info({ instances: registry.names() }, 'named Jenkins instances configured')
  fastify.decorate('jenkins', registry)
}, { name: 'jenkins', dependencies: ['config'] })
