import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import type { Role } from '../../src/lib/access.js'
import { createToken, revokeToken } from '../../src/repositories/tokens.js'
import { appWithBuilds, build, get, post } from '../helper.js'

// every API endpoint, the role it needs (docs/API.md, Access), and a request that is otherwise valid enough
const ENDPOINTS: Array<{ method: 'GET' | 'POST', path: string, needs: Role[], body?: object, query?: string }> = [
  { method: 'GET', path: '/Product/list', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Plan/list', query: 'ProductID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Build/list', query: 'DevOpsPlanID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Build/info', query: 'DevOpsPlanID=1&BuildIndex=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Stage/info', query: 'DevOpsPlanID=1&BuildIndex=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Stage/log', query: 'DevOpsPlanID=1&BuildIndex=1&StageID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'POST', path: '/Build/add', body: { DevOpsPlanID: 1 }, needs: ['trigger', 'admin'] },
  { method: 'POST', path: '/Build/cancel', body: { DevOpsPlanID: 1, BuildIndex: 99 }, needs: ['trigger', 'admin'] },
  { method: 'POST', path: '/Build/update', body: { DevOpsPlanID: 1, BuildIndex: 1, StageName: 'S', Status: 'running' }, needs: ['callback', 'admin'] },
  { method: 'POST', path: '/Webhook/jenkins', body: { build: { phase: 'STARTED', queue_id: 424242 } }, needs: ['callback', 'admin'] },
  { method: 'POST', path: '/Product/add', body: { ProductName: 'P' }, needs: ['admin'] },
  { method: 'POST', path: '/Product/update', body: { ProductID: 1, ProductName: 'UShop' }, needs: ['admin'] },
  { method: 'POST', path: '/Product/delete', body: { ProductID: 999 }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/add', body: { ProductID: 1, PlanName: 'Q' }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/update', body: { DevOpsPlanID: 1, PlanName: 'UShopApi' }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/delete', body: { DevOpsPlanID: 999 }, needs: ['admin'] },
  { method: 'GET', path: '/Plan/overview', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Plan/grid', query: 'DevOpsPlanID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Token/whoami', needs: ['read', 'trigger', 'callback', 'admin'] }
]
const ROLES: Role[] = ['read', 'trigger', 'callback', 'admin']

t.test('every endpoint × every role × no, wrong and revoked token', async (t) => {
  const { app } = await appWithBuilds(t, 1)
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await createToken(app.db, `t-${r}`, r)])))
  const revoked = await createToken(app.db, 'gone', 'admin')
  await revokeToken(app.db, 'gone')
  app.tokens.reset()

  const call = async (e: typeof ENDPOINTS[number], headers: Record<string, string>) => {
    const res = e.method === 'POST' ? await post(app, e.path, e.body ?? {}, headers) : await get(app, e.path, Object.fromEntries(new URLSearchParams(e.query ?? '')), headers)
    return { status: res.statusCode, code: res.json().ErrorCode as number }
  }
  let checked = 0
  for (const e of ENDPOINTS) {
    for (const role of ROLES) {
      // both header forms
      const headers: Record<string, string> = role === 'read' ? { 'x-testcloud-token': tokens[role] } : { authorization: `Bearer ${tokens[role]}` }
      const r = await call(e, headers)
      if (e.needs.includes(role)) t.notOk([1004, 1005].includes(r.code), `${role} may ${e.method} ${e.path} (got ${r.code})`)
      else t.same(r, { status: 403, code: 1005 }, `${role} may not ${e.method} ${e.path}`)
      checked++
    }
    t.same(await call(e, {}), { status: 401, code: 1004 }, `no token: ${e.path}`)
    t.same(await call(e, { authorization: 'Bearer tc_wrong' }), { status: 401, code: 1004 }, `wrong token: ${e.path}`)
    t.same(await call(e, { authorization: `Bearer ${revoked}` }), { status: 401, code: 1004 }, `revoked token: ${e.path}`)
    checked += 3
  }
  t.comment(`access matrix: ${checked} requests over ${ENDPOINTS.length} endpoints`)

  // what stays open: docs, spec, health
  for (const url of ['/docs', '/openapi.yaml', '/openapi.json', '/healthz', '/readyz']) {
    t.equal((await app.inject({ url })).statusCode, 200, `${url} needs no token`)
  }
  const used = await app.db.selectFrom('api_tokens').select(['name', 'last_used_at']).orderBy('name').execute()
  t.ok(used.filter((u) => u.name.startsWith('t-')).every((u) => typeof u.last_used_at === 'number'), 'last-used time recorded')
})

t.test('the webhook also takes a callback token as ?token=', async (t) => {
  const { app } = await appWithBuilds(t, 0)
  const callback = await createToken(app.db, 'jenkins', 'callback')
  const reader = await createToken(app.db, 'dash', 'read')
  app.tokens.reset() // as the CLI's first token would, within a second
  const post = async (token: string) => await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=${token}`, payload: { build: { phase: 'STARTED', queue_id: 1 } } })
  t.match((await post(callback)).json(), { ErrorCode: 1000, Description: /ignored/ })
  t.equal((await post(reader)).json().ErrorCode, 1005)
  t.equal((await post('nope')).json().ErrorCode, 1004)
})

t.test('rate limit: 1009 with Retry-After, per token', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_PER_MINUTE: '3' } })
  const a = await createToken(app.db, 'a', 'read')
  const b = await createToken(app.db, 'b', 'read')
  app.tokens.reset()
  const get = async (token: string) => await app.inject({ url: `${API_PREFIX}/Product/list`, headers: { authorization: `Bearer ${token}` } })
  for (let i = 0; i < 3; i++) t.equal((await get(a)).statusCode, 200)
  const limited = await get(a)
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { ErrorCode: 1009, Description: /retry in \d+ s/ })
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.equal((await get(b)).statusCode, 200, 'another token has its own budget')
})

t.test('health: /healthz always, /readyz reports the database and Jenkins', async (t) => {
  const app = await build(t)
  t.same((await app.inject({ url: '/healthz' })).json(), { ErrorCode: 1000, Description: 'OK' })
  t.same((await app.inject({ url: '/readyz' })).json(), { ErrorCode: 1000, Description: 'OK', Database: 'ok', Jenkins: {} })
  // a Jenkins nobody answers at is reported, never "ok", and never fails readiness
  const withJenkins = await build(t, { env: { JENKINS_URL: 'http://127.0.0.1:9' } })
  t.match((await withJenkins.inject({ url: '/readyz' })).json(), { ErrorCode: 1000, Jenkins: { default: { state: /unreachable/, stages: 'not probed yet' } } })
})
