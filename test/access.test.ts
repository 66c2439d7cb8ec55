import { spawnSync } from 'node:child_process'
import t from 'tap'
import { API_PREFIX } from '../src/app.js'
import { ROOT } from '../src/lib/root.js'
import { createToken, revokeToken, type Role } from '../src/repositories/tokens.js'
import { spawnServer } from './fixtures/server-process.js'
import { appWithBuilds, build, freshDatabase } from './helper.js'

// every API endpoint, the role it needs (API.md § Access), and a request that is otherwise valid enough
const ENDPOINTS: Array<{ method: 'GET' | 'POST', path: string, needs: Role[], body?: object, query?: string }> = [
  { method: 'GET', path: '/Product/list', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Plan/list', query: 'ProductID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Build/list', query: 'DevOpsPlanID=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Build/info', query: 'DevOpsPlanID=1&BuildIndex=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'GET', path: '/Stage/info', query: 'DevOpsPlanID=1&BuildIndex=1', needs: ['read', 'trigger', 'admin'] },
  { method: 'POST', path: '/Build/add', body: { DevOpsPlanID: 1 }, needs: ['trigger', 'admin'] },
  { method: 'POST', path: '/Build/cancel', body: { DevOpsPlanID: 1, BuildIndex: 99 }, needs: ['trigger', 'admin'] },
  { method: 'POST', path: '/Build/update', body: { DevOpsPlanID: 1, BuildIndex: 1, StageName: 'S', Status: 'running' }, needs: ['callback', 'admin'] },
  { method: 'POST', path: '/Webhook/jenkins', body: { build: { phase: 'STARTED', queue_id: 424242 } }, needs: ['callback', 'admin'] },
  { method: 'POST', path: '/Product/add', body: { ProductName: 'P' }, needs: ['admin'] },
  { method: 'POST', path: '/Product/update', body: { ProductID: 1, ProductName: 'UShop' }, needs: ['admin'] },
  { method: 'POST', path: '/Product/delete', body: { ProductID: 999 }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/add', body: { ProductID: 1, PlanName: 'Q' }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/update', body: { DevOpsPlanID: 1, PlanName: 'UShopApi' }, needs: ['admin'] },
  { method: 'POST', path: '/Plan/delete', body: { DevOpsPlanID: 999 }, needs: ['admin'] }
]
const ROLES: Role[] = ['read', 'trigger', 'callback', 'admin']

t.test('every endpoint × every role × no, wrong and revoked token', async (t) => {
  const { app } = await appWithBuilds(t, 1)
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await createToken(app.db, `t-${r}`, r)])))
  const revoked = await createToken(app.db, 'gone', 'admin')
  await revokeToken(app.db, 'gone')
  app.tokens.reset()

  const call = async (e: typeof ENDPOINTS[number], headers: Record<string, string>) => {
    const res = await app.inject({ method: e.method, url: `${API_PREFIX}${e.path}${e.query == null ? '' : `?${e.query}`}`, headers, ...(e.body == null ? {} : { payload: e.body }) })
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

t.test('npm run token: create prints the token alone on its last line, and the server then requires it', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const run = (...args: string[]) => spawnSync('npm', ['run', '--silent', 'token', '--', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8', timeout: 30_000 })
  const created = run('create', '--name', 'ci admin', '--role', 'admin')
  t.equal(created.status, 0, created.stderr)
  const token = created.stdout.trim().split('\n').at(-1) as string
  t.match(token, /^tc_[A-Za-z0-9_-]{40,}$/)
  t.equal(run('create', '--name', 'ci admin', '--role', 'read').status, 1, 'names are unique')
  t.equal(run('create', '--name', 'x', '--role', 'root').status, 2, 'unknown role')
  t.match(run('list').stdout, /ci admin\tadmin\tcreated .*never used/)
  const stored = spawnSync('npm', ['run', '--silent', 'token', '--', 'list'], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8' }).stdout
  t.notMatch(stored, token, 'list never shows the token')

  const server = await spawnServer(t, { DATABASE_URL })
  t.notOk(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')), 'no open-mode warning once a token exists')
  const url = `${server.url}${API_PREFIX}/Product/list`
  t.equal((await (await fetch(url)).json()).ErrorCode, 1004)
  t.equal((await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()).ErrorCode, 1000)
  t.equal(run('revoke', '--name', 'ci admin').status, 0)
  t.equal(run('revoke', '--name', 'ci admin').status, 1, 'revoking twice: not found')
})

t.test('open mode is announced loudly at start', async (t) => {
  const server = await spawnServer(t, { DATABASE_URL: `sqlite:${t.testdir()}/t.sqlite` })
  t.ok(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')))
})

t.test('rate limit: 1009 with Retry-After, per token', async (t) => {
  const app = await build(t, { RATE_LIMIT_PER_MINUTE: '3' })
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
  const withJenkins = await build(t, { JENKINS_URL: 'http://127.0.0.1:9' })
  t.match((await withJenkins.inject({ url: '/readyz' })).json(), { ErrorCode: 1000, Jenkins: { default: 'ok' } })
})
