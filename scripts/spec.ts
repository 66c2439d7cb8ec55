import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { fastifyOptions } from '../src/app.js'
import { loadConfig } from '../src/config.js'

/** The OpenAPI document the route schemas describe, as YAML (what openapi.yaml must hold). */
export async function generateSpec (): Promise<string> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' })
  const fastify = Fastify(fastifyOptions())
  await fastify.register(fp(app), { config })
  await fastify.ready()
  try {
    return fastify.swagger({ yaml: true })
  } finally {
    await fastify.close()
  }
}
