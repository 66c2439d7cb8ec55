// One poller tick over the seeded running builds, in its own process so its CPU and memory are its
// own: tsx bench/poller-scale.ts  (env: DATABASE_URL, JENKINS_URL, JENKINS_USER, JENKINS_TOKEN)
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { fastifyOptions } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const INTERVAL_MS = 5000
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', POLL_INTERVAL_MS: String(INTERVAL_MS), JENKINS_TIMEOUT_MS: '30000' })
const server = Fastify(fastifyOptions())
await server.register(fp(app), { config, pollerAutoStart: false })
await server.ready()
// the first tick catches up (new stages: Blue Ocean is asked for their graph); the second, one interval
// later, is the steady state. (Before, the clock jumped an hour, past the 15-minute re-probe of what the
// instance offers, so the steady tick counted that probe's 2 requests, made once per 15 minutes.)
const first = await server.poller.runOnce()
const clock = server.poller.clock
server.poller.clock = () => clock() + INTERVAL_MS
const cpu = process.cpuUsage()
const tick = await server.poller.runOnce()
const used = process.cpuUsage(cpu)
console.log(JSON.stringify({ ...tick, first_ms: first.ms, first_requests: first.requests, cpu_ms: Math.round((used.user + used.system) / 1000), rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20) }))
await server.close()
