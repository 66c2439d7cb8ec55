// One discovery tick over N watched jobs against the Jenkins double (+20 ms per answer), in its own
// process: tsx bench/discovery-scale.ts  (env: DATABASE_URL, BENCH_JOBS default 200)
// Prints {jobs, steady_requests, steady_ms, new_runs, new_requests, new_ms, imported}.
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { fastifyOptions } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { FakeJenkins } from '../test/fixtures/fake-jenkins.js'

const jobs = Number(process.env.BENCH_JOBS ?? 200)
const jenkins = new FakeJenkins()
for (let i = 0; i < jobs; i++) jenkins.addJob({ name: `Job${i}`, parameters: { DevOpsPlanID: '', BuildIndex: '' } })
await jenkins.start()
jenkins.latencyMs = 20
const config = loadConfig({
  ...process.env, LOG_LEVEL: 'warn', POLL_INTERVAL_MS: '3600000', JENKINS_URL: jenkins.baseUrl, JENKINS_USER: jenkins.user, JENKINS_TOKEN: jenkins.apiToken
})
const server = Fastify(fastifyOptions())
await server.register(fp(app), { config, pollerAutoStart: false })
await server.ready()
const post = async (url: string, body: object): Promise<any> => (await server.inject({ method: 'POST', url: `/TestCloud/DevOps${url}`, payload: body })).json()
const { ProductID } = await post('/Product/add', { ProductName: 'Bench' })
for (let i = 0; i < jobs; i++) await post('/Plan/add', { ProductID, PlanName: `P${i}`, JobName: `Job${i}` })

const tick = async (): Promise<{ requests: number, ms: number, imported: number }> => {
  const before = jenkins.requests.length
  const t0 = performance.now()
  const r = await server.discovery.runOnce()
  return { requests: jenkins.requests.length - before, ms: Math.round(performance.now() - t0), imported: r.imported }
}
await tick() // first sighting: watermarks
const steady = await tick()
const newRuns = Math.ceil(jobs / 4)
for (let i = 0; i < jobs; i += 4) jenkins.startQueued(jenkins.startRun(`Job${i}`, { cause: 'timer' }).id)
const fresh = await tick()
console.log(JSON.stringify({ jobs, steady_requests: steady.requests, steady_ms: steady.ms, new_runs: newRuns, new_requests: fresh.requests, new_ms: fresh.ms, imported: fresh.imported }))
await server.close()
await jenkins.stop()
