import type { RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { INT_LIKE } from '../src/schemas/common.js'

type Convert = (value: unknown) => unknown

/** What turns a valid value of `schema` into the one handlers see, or undefined when nothing needs it. */
function converterFor (schema: unknown): Convert | undefined {
  if (schema == null || typeof schema !== 'object') return undefined
  const s = schema as Record<string | symbol, unknown>
  if (s[INT_LIKE] === true) return (v) => typeof v === 'string' ? Number(v) : v
  if (s.type === 'array') {
    const item = converterFor(s.items)
    return item && ((v) => Array.isArray(v) ? v.map(item) : v)
  }
  if (s.type !== 'object' || s.properties == null) return undefined
  const fields: Array<[string, Convert]> = []
  for (const [key, property] of Object.entries(s.properties as Record<string, unknown>)) {
    const convert = converterFor(property)
    if (convert != null) fields.push([key, convert])
  }
  if (fields.length === 0) return undefined
  return (v) => {
    if (v == null || typeof v !== 'object') return v
    const o = v as Record<string, unknown>
    for (const [key, convert] of fields) if (o[key] !== undefined) o[key] = convert(o[key])
    return v
  }
}

const PARTS = [['querystring', 'query'], ['body', 'body'], ['params', 'params']] as const

// Integers declared with IntLike() (src/schemas/common.ts) accept the string of their digits. Once
// Ajv has accepted a request, such strings become numbers here, before the handler runs, so no
// handler converts them and none can forget to. Routes without such a field get no hook.
export default fp(async function intLike (fastify) {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const converts: Array<[typeof PARTS[number][1], Convert]> = []
    for (const [part, field] of PARTS) {
      const convert = converterFor(route.schema?.[part])
      if (convert != null) converts.push([field, convert])
    }
    if (converts.length === 0) return
    const given =
      route.preHandler == null ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]
    route.preHandler = [...given, async (request) => {
      for (const [field, convert] of converts) convert(request[field])
    }]
  })
}, { name: 'int-like' })
