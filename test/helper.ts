import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createConnection } from 'mysql2/promise'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { Test } from 'tap'
import app, { API_PREFIX, fastifyOptions } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { TickReport } from '../src/builds/poller.js'
import { FakeJenkins, type FakeJenkinsOptions } from './fixtures/fake-jenkins.js'
import { specViolation } from './fixtures/spec-validator.js'

/** mysql://… when the MariaDB leg runs (scripts/test.sh sets it), otherwise the suite runs on SQLite. */
export const MYSQL_URL = process.env.TEST_DATABASE_URL?.startsWith('mysql://') === true ? process.env.TEST_DATABASE_URL : undefined
export const DIALECT = MYSQL_URL == null ? 'sqlite' : 'mysql'

/** A fresh, empty database for one test: a file under t.testdir() or a new MariaDB database. */
export async function freshDatabase (t: Test): Promise<string> {
  if (MYSQL_URL == null) return `sqlite:${t.testdir()}/testcloud.sqlite`
  const url = new URL(MYSQL_URL)
  const name = `${url.pathname.slice(1)}_t${randomBytes(5).toString('hex')}`
  const admin = await createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  await admin.end()
  t.teardown(async () => {
    const c = await createConnection({ uri: MYSQL_URL })
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
    await c.end()
  })
  url.pathname = `/${name}`
  return url.toString()
}

export interface BuildOptions {
  /** settings as the server reads them from the environment; DATABASE_URL defaults to a fresh database */
  env?: Record<string, string>
  /** true: the poller ticks on its own as in the server; default false (tests call app.poller.runOnce()) */
  pollerAutoStart?: boolean
}

/** The app as the server runs it, on a fresh database, every answer checked against openapi.yaml, closed when the test ends. */
export async function build (t: Test, { env = {}, pollerAutoStart = false }: BuildOptions = {}): Promise<FastifyInstance> {
  const DATABASE_URL = env.DATABASE_URL ?? await freshDatabase(t)
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env, DATABASE_URL })
  const fastify = Fastify(fastifyOptions())
  // every answer of every test is checked against openapi.yaml
  fastify.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url
    if (route?.startsWith(API_PREFIX) === true && typeof payload === 'string') {
      const v = specViolation(request.method, route, reply.statusCode, payload)
      if (v != null) t.fail(v)
    }
    return payload
  })
  await fastify.register(fp(app), { config, pollerAutoStart })
  await fastify.ready()
  t.teardown(async () => { await fastify.close() })
  return fastify
}

/** A Jenkins test double, stopped when the test ends, and the env that points the app at it. */
export async function fakeJenkins (t: Test, opts: FakeJenkinsOptions = {}): Promise<{ jenkins: FakeJenkins, env: Record<string, string> }> {
  const jenkins = new FakeJenkins(opts)
  const url = await jenkins.start()
  t.teardown(async () => { await jenkins.stop() })
  return { jenkins, env: { JENKINS_URL: url, JENKINS_USER: jenkins.user, JENKINS_TOKEN: jenkins.apiToken, JENKINS_TIMEOUT_MS: '2000' } }
}

type Payload = object | string

/** An in-process app, or the base URL of a server process (test/fixtures/server-process.ts). */
export type Target = FastifyInstance | string

/** What post() and get() answer, from either kind of target. */
export interface Reply {
  statusCode: number
  body: string
  headers: Record<string, string | string[] | number | undefined>
  json: <T = any>() => T
}

async function request (target: Target, method: 'GET' | 'POST', url: string, payload: Payload | undefined, headers: Record<string, string>): Promise<Reply> {
  if (typeof target !== 'string') return await target.inject({ method, url, payload, headers })
  const json = payload != null && typeof payload !== 'string'
  const res = await fetch(target + url, {
    method,
    headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
    body: payload == null ? undefined : json ? JSON.stringify(payload) : payload
  })
  const body = await res.text()
  return { statusCode: res.status, body, headers: Object.fromEntries(res.headers), json: () => JSON.parse(body) }
}

/** POST to an API route; `payload` as an object is sent as JSON. */
export async function post (target: Target, route: string, payload: Payload, headers: Record<string, string> = {}): Promise<Reply> {
  return await request(target, 'POST', API_PREFIX + route, payload, headers)
}

/** GET an API route with a query string. */
export async function get (target: Target, route: string, query: Record<string, string | number> = {}, headers: Record<string, string> = {}): Promise<Reply> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
  return await request(target, 'GET', API_PREFIX + route + (qs === '' ? '' : `?${qs}`), undefined, headers)
}

/** Build/info's Build object (throws unless the answer is 1000). */
export async function buildInfo (target: Target, planId: number, buildIndex = 1, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const body = (await get(target, '/Build/info', { DevOpsPlanID: planId, BuildIndex: buildIndex }, headers)).json()
  if (body.ErrorCode !== 1000) throw new Error(`Build/info: ${JSON.stringify(body)}`)
  return body.Build
}

/** Stage/info's StageList (throws unless the answer is 1000). */
export async function stageList (target: Target, planId: number, buildIndex = 1, headers: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
  const body = (await get(target, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: buildIndex }, headers)).json()
  if (body.ErrorCode !== 1000) throw new Error(`Stage/info: ${JSON.stringify(body)}`)
  return body.StageList
}

/** Adds a product and a plan; returns their ids. */
export async function seedPlan (app: Target, jobName: string | null = 'Test', names = { product: 'UShop', plan: 'UShopApi' }):
Promise<{ productId: number, planId: number }> {
  const p = (await post(app, '/Product/add', { ProductName: names.product })).json()
  const body: Record<string, unknown> = { ProductID: p.ProductID, PlanName: names.plan }
  if (jobName != null) body.JobName = jobName
  const plan = (await post(app, '/Plan/add', body)).json()
  if (plan.ErrorCode !== 1000) throw new Error(`seedPlan: ${JSON.stringify(plan)}`)
  return { productId: p.ProductID, planId: plan.DevOpsPlanID }
}

/** An app wired to a Jenkins double with job "Test", a plan on it, and `builds` builds started. */
export async function appWithBuilds (t: Test, builds = 1, env: Record<string, string> = {},
  jenkinsOpts: FakeJenkinsOptions = {}): Promise<{ app: FastifyInstance, jenkins: FakeJenkins, planId: number }> {
  const { jenkins, env: jenkinsEnv } = await fakeJenkins(t, jenkinsOpts)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...jenkinsEnv, ...env } })
  const { planId } = await seedPlan(app)
  for (let i = 0; i < builds; i++) {
    const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
    if (res.json().ErrorCode !== 1000) throw new Error(`Build/add: ${res.body}`)
  }
  return { app, jenkins, planId }
}

/** The poller's next tick as if a minute had passed: every schedule and pause is due, without sleeping. */
export async function tickLater (app: FastifyInstance): Promise<TickReport> {
  const clock = app.poller.clock
  app.poller.clock = () => clock() + 61_000
  return await app.poller.runOnce()
}

/** A TCP port nothing listens on right now (the OS picks it), for a server a test starts itself. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Jobs A and B on one Jenkins double, a plan for each, and one build of each started there: for
 * tests that one run's trouble stays that build's (the other is still followed every tick).
 */
export async function twoStartedRuns (t: Test, { flavor = 'graph-view', env = {} }: { flavor?: FakeJenkinsOptions['flavor'], env?: Record<string, string> } = {}) {
  const { jenkins, env: jenkinsEnv } = await fakeJenkins(t, { flavor })
  for (const name of ['A', 'B']) jenkins.addJob({ name, parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...jenkinsEnv, ...env } })
  const a = await seedPlan(app, 'A', { product: 'PA', plan: 'A' })
  const b = await seedPlan(app, 'B', { product: 'PB', plan: 'B' })
  await post(app, '/Build/add', { DevOpsPlanID: a.planId })
  const runA = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  await post(app, '/Build/add', { DevOpsPlanID: b.planId })
  const runB = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  return { jenkins, app, a, b, runA, runB }
}
