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
  if (registry.default == null) {
    fastify.log.warn(
      `JENKINS_URL is not set: Build/add on plans without a JenkinsName answers ${ErrorCode.JenkinsNotConfigured}`
    )
  }
  if (registry.names().length > 0) {
    fastify.log.info({ instances: registry.names() }, 'named Jenkins instances configured')
  }
  // said at start: otherwise an instance that refuses anonymous callers only shows as failed triggers and polls
  const instances = [
    { variable: 'JENKINS_URL', fix: 'JENKINS_USER and JENKINS_TOKEN', client: registry.default },
    ...registry
      .names()
      .map((name) => ({
        variable: `JENKINS_INSTANCES.${name}`,
        fix: 'its "user" and "token"',
        client: registry.client(name)
      }))
  ]
  for (const { variable, fix, client } of instances) {
    if (client != null && (client.opts.user == null || client.opts.token == null)) {
      fastify.log.warn(
        `${variable} has no user and API token: requests to it are anonymous, which most Jenkins refuse for builds ` +
          `and API reads; set ${fix}`
      )
    }
  }
  fastify.decorate('jenkins', registry)
}, { name: 'jenkins', dependencies: ['config'] })
