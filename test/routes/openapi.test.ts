import SwaggerParser from '@apidevtools/swagger-parser'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { SPEC_FILE } from '../../plugins/docs.js'
import { API_PREFIX } from '../../src/app.js'
import { generateSpec } from '../../scripts/spec.js'
import { build } from '../helper.js'
import { specViolation } from '../fixtures/spec-validator.js'

const committed = readFileSync(SPEC_FILE, 'utf8')

t.test('openapi.yaml is exactly what the route schemas generate (run `npm run openapi` after changing a route)', async (t) => {
  t.equal(await generateSpec(), committed)
})

t.test('openapi.yaml passes a standard OpenAPI validator', async (t) => {
  const api = await SwaggerParser.validate(parse(committed))
  t.equal((api as { openapi?: string }).openapi, '3.0.3')
})

t.test('every API route is in the spec and every spec path has a route', async (t) => {
  const routes: string[] = []
  const app = await build(t)
  // the app is ready, so ask it instead of collecting onRoute events
  const spec = parse(committed) as { paths: Record<string, Record<string, unknown>> }
  const documented = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
  for (const entry of documented) {
    const [method, url] = entry.split(' ')
    t.ok(app.hasRoute({ method: method as 'GET', url }), `${entry} has a route`)
  }
  app.printRoutes({ commonPrefix: false }).split('\n').forEach((l) => routes.push(l))
  const expected = ['Product/list', 'Product/add', 'Product/update', 'Product/delete', 'Plan/list', 'Plan/add', 'Plan/update', 'Build/cancel', 'Webhook/jenkins',
    'Plan/delete', 'Plan/parameters', 'Build/list', 'Build/info', 'Build/add', 'Build/update', 'Stage/info', 'Stage/stats', 'Build/events', 'events',
    'Stage/log', 'Webhook/otlp/v1/traces', 'Webhook/otlp/v1/metrics', 'Webhook/otlp/v1/logs', 'Plan/overview', 'Plan/grid',
    'Token/whoami']
  t.same(documented.map((d) => d.split(`${API_PREFIX}/`)[1]).sort(), [...expected].sort(), 'the spec lists exactly the API routes')
  for (const name of expected) t.ok(routes.some((r) => r.includes(name)), `${name} is served`)
})

t.test('the response checker used by the whole suite does catch a wrong answer', async (t) => {
  const route = `${API_PREFIX}/Product/list`
  t.equal(specViolation('GET', route, 200, JSON.stringify({ ErrorCode: 1000, Description: 'OK', TotalCount: 0, ProductList: [] })), null)
  t.match(specViolation('GET', route, 200, JSON.stringify({ ErrorCode: 1000, Description: 'OK', ProductList: [] })), /TotalCount/)
  t.match(specViolation('GET', route, 200, JSON.stringify({ ErrorCode: 1000, Description: 'OK', TotalCount: 1, ProductList: [{ ProductID: '1', ProductName: 'x' }] })), /ProductID|integer/)
  t.match(specViolation('GET', route, 404, '{}'), /does not list/)
  t.match(specViolation('POST', `${API_PREFIX}/Product/add`, 409, JSON.stringify({ ErrorCode: 1002, Description: 'x' })), /allowed values/)
  t.match(specViolation('GET', `${API_PREFIX}/Nope`, 200, '{}'), /not in openapi.yaml/)
})

t.test('the spec and the docs page are served, and / leads to the docs', async (t) => {
  const app = await build(t)
  const yaml = await app.inject({ url: '/openapi.yaml' })
  t.equal(yaml.statusCode, 200)
  t.match(yaml.headers['content-type'], /yaml/)
  t.equal(yaml.body, committed)
  const json = await app.inject({ url: '/openapi.json' })
  t.same(json.json(), parse(committed))
  const docs = await app.inject({ url: '/docs' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
  t.notMatch(docs.body, /https?:\/\/(cdn|unpkg|fonts)\./, 'no CDN: the page works offline')
  // `/` is the dashboard now (API.md, Round 2); /docs stays the API docs page
  const root = await app.inject({ url: '/' })
  t.equal(root.statusCode, 200)
  t.match(root.headers['content-type'], /text\/html/)
})

// Client generators name methods after operationIds; without them they invent names.
t.test('every operation has a unique, stable operationId, and the spec names its license', async (t) => {
  const spec = parse(committed) as { info: { license?: { name?: string } }, paths: Record<string, Record<string, { operationId?: string }>> }
  t.equal(spec.info.license?.name, 'MIT')
  const ids: string[] = []
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${method.toUpperCase()} ${path} has an operationId`)
      ids.push(op.operationId as string)
    }
  }
  t.equal(new Set(ids).size, ids.length, 'no two operations share one')
  for (const id of ['listProducts', 'addBuild', 'updateBuild', 'getStageInfo', 'listBuildEvents', 'streamEvents', 'getPlanParameters']) t.ok(ids.includes(id), id)
})
