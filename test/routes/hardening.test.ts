import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createToken, revokeToken } from '../../src/repositories/tokens.js'
import { appWithBuilds, build, buildInfo, freePort, freshDatabase, get, post } from '../helper.js'

const SECRET = 'webhook-secret-0123456789abcdefghijkl'

// failed authentication is limited per address, the webhook's secret too; right credentials are
// served whatever else came from the address (behind a proxy it is everyone's address)
t.test('failed authentications per address: 1009 once over the limit, for failing credentials only', async (t) => {
  const app = await build(t, { env: { AUTH_FAILURES_PER_MINUTE: '5', RATE_LIMIT_PER_MINUTE: '0' } })
  const good = await createToken(app.db, 'a', 'admin')
  app.tokens.reset()
  for (let i = 0; i < 5; i++) t.equal((await get(app, '/Product/list', {}, { authorization: 'Bearer tc_wrong' })).json().ErrorCode, 1004)
  const blocked = await get(app, '/Product/list', {}, { authorization: 'Bearer tc_wrong' })
  t.equal(blocked.statusCode, 429)
  t.match(blocked.json(), { ErrorCode: 1009, Description: /failed authentications/ })
  t.match(blocked.headers['retry-after'], /^\d+$/)
  t.equal((await get(app, '/Product/list')).json().ErrorCode, 1009, 'no credentials: held back too')
  t.equal((await get(app, '/Product/list', {}, { authorization: `Bearer ${good}` })).json().ErrorCode, 1000, 'the right token from that address is served')
  const other = await app.inject({ url: `${API_PREFIX}/Product/list`, remoteAddress: '10.0.0.2', headers: { authorization: 'Bearer tc_wrong' } })
  t.equal(other.json().ErrorCode, 1004, 'another address is not held back')
})

t.test('a wrong webhook secret counts as a failed authentication; the right one is still served', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET, AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '0' } })
  const hook = async (token: string) => await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=${token}`, payload: { build: { phase: 'STARTED', queue_id: 1 } } })
  for (let i = 0; i < 3; i++) t.equal((await hook('wrong')).json().ErrorCode, 1004)
  t.equal((await hook('wrong')).json().ErrorCode, 1009, 'the flood is stopped')
  t.equal((await hook(SECRET)).json().ErrorCode, 1000, 'Jenkins with the right secret is not locked out')
  t.equal((await hook('wrong')).json().ErrorCode, 1009, 'the flood still is')
})

t.test('TRUST_PROXY: the client address is taken from X-Forwarded-For only from the trusted proxy', async (t) => {
  const { trustProxy, fastifyOptions } = await import('../../src/app.js')
  t.equal(trustProxy(undefined), false)
  t.equal(trustProxy('true'), true)
  t.equal(trustProxy('10.0.0.1, 10.1.0.0/16'), '10.0.0.1, 10.1.0.0/16')
  t.equal((trustProxy('1') as (a: string, hop: number) => boolean)('x', 0), true)
  t.equal((trustProxy('1') as (a: string, hop: number) => boolean)('x', 1), false)
  t.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/)
  const Fastify = (await import('fastify')).default
  for (const [setting, expected] of [[undefined, '127.0.0.1'], ['127.0.0.1', '203.0.113.7']] as const) {
    const app = Fastify(fastifyOptions(false, loadConfig(setting == null ? {} : { TRUST_PROXY: setting })))
    app.get('/ip', async (request) => request.ip)
    const res = await app.inject({ url: '/ip', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.7' } })
    t.equal(res.body, expected, `TRUST_PROXY=${setting ?? '(unset)'}`)
    await app.close()
  }
})

// point 2: the rate limit's key is the verified token, else the address
t.test('open mode: a made-up token per request does not escape the rate limit', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_PER_MINUTE: '3' } })
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await get(app, '/Product/list', {}, { authorization: `Bearer random-${i}` })).json().ErrorCode)
  t.same(codes, [1000, 1000, 1000, 1009, 1009])
})

t.test('the webhook secret, once verified, is its own rate-limit budget', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET, RATE_LIMIT_PER_MINUTE: '2' } })
  const hook = async () => await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=${SECRET}`, payload: { build: { phase: 'STARTED', queue_id: 1 } } })
  t.equal((await hook()).json().ErrorCode, 1000)
  t.equal((await hook()).json().ErrorCode, 1000)
  t.equal((await hook()).json().ErrorCode, 1009)
  t.equal((await get(app, '/Product/list')).json().ErrorCode, 1000, 'the address without a token has its own budget')
})

// point 3: a query key sent twice is 1001 (1004 for a token), never 500
t.test('repeated query keys', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET } })
  const webhook = await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=a&token=b`, payload: { build: { phase: 'STARTED', queue_id: 1 } } })
  t.same([webhook.statusCode, webhook.json().ErrorCode], [401, 1004])
  const list = await app.inject({ url: `${API_PREFIX}/Build/list?DevOpsPlanID=1&DevOpsPlanID=2` })
  t.same([list.statusCode, list.json().ErrorCode], [400, 1001])
  t.match(list.json().Description, /DevOpsPlanID given more than once/)
  const products = await app.inject({ url: `${API_PREFIX}/Product/list?token=a&token=b` })
  t.equal(products.json().ErrorCode, 1004)
  const body = await post(app, '/Product/add', { ProductName: 'P' })
  t.equal(body.json().ErrorCode, 1000, 'no repeated key, no refusal')
})

t.test('WEBHOOK_TOKEN needs 32 characters', async (t) => {
  t.throws(() => loadConfig({ WEBHOOK_TOKEN: 'short-secret' }), /WEBHOOK_TOKEN must be at least 32 characters \(it has 12\).*openssl rand/)
  t.equal(loadConfig({ WEBHOOK_TOKEN: SECRET }).WEBHOOK_TOKEN, SECRET)
})

// point 9: open mode ends for good with the first token; the last admin token needs force
t.test('open mode ends for good; revoking the last admin needs force', async (t) => {
  const app = await build(t)
  t.equal((await get(app, '/Product/list')).json().ErrorCode, 1000, 'open before the first token')
  await createToken(app.db, 'first', 'admin')
  await createToken(app.db, 'reader', 'read')
  app.tokens.reset()
  t.equal((await get(app, '/Product/list')).json().ErrorCode, 1004)
  await t.rejects(revokeToken(app.db, 'first'), { errorCode: 1003, message: /last admin token.*--force/ })
  t.same(await revokeToken(app.db, 'reader'), { lastAdmin: false })
  t.same(await revokeToken(app.db, 'first', { force: true }), { lastAdmin: true })
  app.tokens.reset()
  t.same((await app.db.selectFrom('api_tokens').select('id').execute()), [], 'no token left')
  t.equal((await get(app, '/Product/list')).json().ErrorCode, 1004, 'and still closed')
  await createToken(app.db, 'second', 'admin')
  await createToken(app.db, 'third', 'admin')
  t.same(await revokeToken(app.db, 'second'), { lastAdmin: false }, 'not the last admin: no force needed')
})

// point 16: messages say the range; the wrong method is 405 with Allow
t.test('validation messages state the range; a wrong method is 405 with Allow', async (t) => {
  const app = await build(t)
  const desc = async (query: Record<string, string>) => (await get(app, '/Build/list', query)).json().Description
  t.equal(await desc({ DevOpsPlanID: '1', PageSize: '0' }), 'querystring/PageSize must be an integer between 1 and 500')
  t.equal(await desc({ DevOpsPlanID: '-1' }), 'querystring/DevOpsPlanID must be an integer ≥ 1')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: 0 })).json().Description, 'body/DevOpsPlanID must be an integer ≥ 1')
  const wrongGet = await get(app, '/Build/add')
  t.equal(wrongGet.statusCode, 405)
  t.equal(wrongGet.headers.allow, 'POST')
  t.match(wrongGet.json(), { ErrorCode: 1001, Description: /GET is not allowed.*use POST/ })
  const wrongPost = await post(app, '/Product/list', {})
  t.same([wrongPost.statusCode, wrongPost.headers.allow, wrongPost.json().ErrorCode], [405, 'GET', 1001])
  t.equal((await get(app, '/No/such')).statusCode, 404, 'an unknown path is still 404')
})

// point 10: JobName segments and URLs; a malformed % in the webhook's url
t.test('JobName with empty, . or .. segments or :// is 1001 on Plan/add, Plan/update and Build/add', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET } })
  const { ProductID } = (await post(app, '/Product/add', { ProductName: 'P' })).json()
  const { DevOpsPlanID } = (await post(app, '/Plan/add', { ProductID, PlanName: 'ok', JobName: 'folder/Test' })).json()
  for (const JobName of ['a/../b', 'a//b', '.', 'https://evil/job/x']) {
    t.match((await post(app, '/Plan/add', { ProductID, PlanName: `p${JobName}`, JobName })).json(), { ErrorCode: 1001, Description: /JobName/ }, `Plan/add ${JobName}`)
    t.equal((await post(app, '/Plan/update', { DevOpsPlanID, JobName })).json().ErrorCode, 1001, `Plan/update ${JobName}`)
    t.equal((await post(app, '/Build/add', { DevOpsPlanID, JobName })).json().ErrorCode, 1001, `Build/add ${JobName}`)
  }
  const hook = await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=${SECRET}`, payload: { url: 'job/%E0%A4%A/', build: { phase: 'STARTED', number: 3 } } })
  t.same([hook.statusCode, hook.json().ErrorCode], [400, 1001])
  t.match(hook.json().Description, /body\/url has a malformed %-escape/)
})

// point 5: a 1007 answer carries a fixed sentence and an error code, never the fetch error's text
t.test('Jenkins unreachable: 1007 with the error code only', async (t) => {
  // a free port nobody listens on (port 9 is on fetch's blocked list: that would be a different error)
  const app = await build(t, { env: { JENKINS_URL: `http://127.0.0.1:${await freePort()}`, JENKINS_TIMEOUT_MS: '2000' } })
  const { ProductID } = (await post(app, '/Product/add', { ProductName: 'P' })).json()
  const { DevOpsPlanID } = (await post(app, '/Plan/add', { ProductID, PlanName: 'p', JobName: 'Test' })).json()
  const res = (await post(app, '/Build/add', { DevOpsPlanID })).json()
  t.equal(res.ErrorCode, 1007)
  t.match(res.Description, /^(Jenkins trigger failed|Jenkins unreachable) \([A-Z_]+\)$/)
  t.notMatch(res.Description, /fetch failed|127\.0\.0\.1|http/)
})

// point 8: the listening server bounds slow and idle connections
t.test('the HTTP server has request, connection and keep-alive timeouts', async (t) => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const server = app.server
  t.equal(server.requestTimeout, 30_000, 'a slow request is cut after 30 s')
  t.equal(server.timeout, 120_000, 'an idle socket after 120 s')
  t.equal(server.keepAliveTimeout, 5_000)
  t.equal(server.maxRequestsPerSocket, 10_000)
  t.equal(server.headersTimeout, 15_000, 'headers within 15 s')
  const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`)
  t.equal(res.status, 200)
})

// point 14: with WEBHOOK_TOKEN unset the webhook says the secret is off and how to turn it on
t.test('WEBHOOK_TOKEN unset: the refusal says the shared secret is off', async (t) => {
  const app = await build(t)
  await createToken(app.db, 'a', 'admin')
  app.tokens.reset()
  const hook = await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins?token=guess`, payload: { build: { phase: 'STARTED', queue_id: 1 } } })
  t.match(hook.json(), { ErrorCode: 1004, Description: /wrong webhook token \(the shared secret is off: WEBHOOK_TOKEN is not set.*set WEBHOOK_TOKEN/ })
})

t.test('a token over 256 characters is 1004 without a lookup; the token cache is keyed by hash and bounded', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0' } })
  await createToken(app.db, 'a', 'admin')
  app.tokens.reset()
  const long = await get(app, '/Product/list', {}, { authorization: `Bearer ${'x'.repeat(15_000)}` })
  t.same([long.statusCode, long.json().ErrorCode], [401, 1004])
  t.match(long.json().Description, /longer than 256/)
  t.equal(app.tokens.cached, 0, 'not looked up, nothing cached')
  t.equal((await get(app, '/Product/list', {}, { authorization: `Bearer ${'y'.repeat(256)}` })).json().ErrorCode, 1004)
  t.equal(app.tokens.cached, 1, 'a token of 256 characters is looked up')
  const keys = [...(app.tokens as unknown as { roles: Map<string, unknown> }).roles.keys()]
  t.ok(keys.every((k) => /^[0-9a-f]{64}$/.test(k)), 'cached under the SHA-256, not the token')
  const { MAX_CACHED } = await import('../../src/repositories/tokens.js')
  for (let i = 0; i < MAX_CACHED + 10; i++) await app.tokens.role(`tc_junk${i}`)
  t.ok(app.tokens.cached <= MAX_CACHED, `${app.tokens.cached} cached after ${MAX_CACHED + 10} junk tokens`)
})

t.test('open mode answers only a loopback Host or one in ALLOWED_HOSTS (DNS rebinding)', async (t) => {
  const app = await build(t, { env: { ALLOWED_HOSTS: 'ci.example.com, Testcloud.Internal' } })
  const add = async (host: string) => await app.inject({ method: 'POST', url: '/TestCloud/DevOps/Product/add', headers: { host }, payload: { ProductName: `p-${host}` } })
  const rebound = await add('rebind.attacker.example:3000')
  t.same([rebound.statusCode, rebound.json().ErrorCode], [403, 1005])
  t.match(rebound.json().Description, /Host "rebind\.attacker\.example" is not answered while the server is open.*ALLOWED_HOSTS/)
  t.equal(await app.db.selectFrom('products').select('id').executeTakeFirst(), undefined, 'nothing created')
  for (const host of ['localhost:3000', '127.0.0.1:3000', '127.1.2.3', '[::1]:3000', 'LOCALHOST', 'ci.example.com:8080', 'testcloud.internal']) {
    t.equal((await add(host)).json().ErrorCode, 1000, host)
  }
  t.equal((await app.inject({ url: '/TestCloud/DevOps/Product/list', headers: { host: '10.0.0.5:3000' } })).json().ErrorCode, 1005, 'reads too')
  // once a token exists the token is the guard, whatever the Host
  const token = await createToken(app.db, 'a', 'admin')
  app.tokens.reset()
  const closed = await app.inject({ url: '/TestCloud/DevOps/Product/list', headers: { host: 'testcloud.example.org', authorization: `Bearer ${token}` } })
  t.equal(closed.json().ErrorCode, 1000)
})

t.test('open mode with TRUST_PROXY: the Host header decides, X-Forwarded-Host is no way around it', async (t) => {
  // the app as main.ts makes it: build() leaves Fastify's trustProxy off
  const Fastify = (await import('fastify')).default
  const { default: fp } = await import('fastify-plugin')
  const { default: service, fastifyOptions } = await import('../../src/app.js')
  const config = loadConfig({ LOG_LEVEL: 'silent', TRUST_PROXY: 'true', DATABASE_URL: await freshDatabase(t) })
  const app = Fastify(fastifyOptions(false, config))
  await app.register(fp(service), { config, pollerAutoStart: false })
  t.teardown(async () => { await app.close() })
  const list = async (headers: Record<string, string>) =>
    await app.inject({ url: '/TestCloud/DevOps/Product/list', remoteAddress: '127.0.0.1', headers })
  const rebound = await list({ host: 'rebind.attacker.example', 'x-forwarded-host': 'localhost' })
  t.same([rebound.statusCode, rebound.json().ErrorCode], [403, 1005])
  t.match(rebound.json().Description, /Host "rebind\.attacker\.example"/)
  t.equal((await list({ host: 'localhost:3000', 'x-forwarded-host': 'ci.example.com' })).json().ErrorCode, 1000,
    'a proxy on this machine that sends Host: localhost')
})

t.test('Build/update: a Detail.JenkinsBuildNumber past 2^31 − 1 names no run, like 1e300', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1, {}, { flavor: 'graph-view' })
  jenkins.startQueued((jenkins.lastQueueItem() as { id: number }).id)
  await app.poller.runOnce()
  for (const number of ['9999999999', 3_000_000_000, 1e300]) {
    const res = await post(app, '/Build/update',
      { DevOpsPlanID: planId, BuildIndex: 1, Status: 'running', Detail: { JenkinsBuildNumber: number } })
    t.same([res.statusCode, res.json()], [200, { ErrorCode: 1000, Description: 'OK' }], String(number))
  }
  t.match(await buildInfo(app, planId), { JenkinsBuildNumber: 1 })
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 1, 'no build for such a run')
})
