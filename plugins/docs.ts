import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ROOT } from '../src/lib/root.js'
import { OPENAPI_INFO } from '../src/openapi-info.js'

export const SPEC_FILE = join(ROOT, 'openapi.yaml')

// The spec is generated from the route schemas (@fastify/swagger, dynamic mode) and committed as
// openapi.yaml; test/openapi.test.ts fails when the two differ. The server serves the committed
// file, so what integrators download is exactly what is reviewed in git.
export default fp(async function docs (fastify) {
  await fastify.register(swagger, {
    openapi: OPENAPI_INFO,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })

  const yamlText = readFileSync(SPEC_FILE, 'utf8')
  // parsed on the first request for it: the YAML parser and the parse cost ~200 ms and 13 MB at start
  let parsed: Record<string, unknown> | undefined
  const jsonSpec = (): Record<string, unknown> => {
    parsed ??= (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(yamlText) as Record<
      string,
      unknown
    >
    return parsed
  }
  // serialized once: the spec is ~170 KB, and these routes are open (no auth, no rate limit), so a
  // request must cost a copy from memory, not a clone and a YAML or JSON serialization (~38 ms)
  let jsonText: string | undefined
  const specJson = (): string => { jsonText ??= JSON.stringify(jsonSpec()); return jsonText }
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    // the UI loads the committed spec, and "Try it out" calls this same server
    transformSpecification: () => jsonSpec(),
    transformSpecificationClone: false,
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: false, displayRequestDuration: true },
    uiHooks: {
      // the UI's own /docs/json and /docs/yaml would clone and serialize the spec per request
      onRequest: async (request, reply) => {
        const path = request.url.split('?')[0]
        if (path === '/docs/yaml') return await reply.type('application/x-yaml; charset=utf-8').send(yamlText)
        if (path === '/docs/json') return await reply.type('application/json; charset=utf-8').send(specJson())
      }
    }
  })

  fastify.get('/openapi.yaml', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('application/yaml; charset=utf-8').send(yamlText))
  fastify.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(specJson()))
}, { name: 'docs' })
