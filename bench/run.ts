// npm run bench: the built server under load from a separate process, against baselines measured in
// the same run on the same machine. Writes bench/results.json and prints a table.
//   BENCH_SMOKE=1        a few seconds, small data: checks the harness works (used by npm test)
//   BENCH_MYSQL_URL=…    also measure on MariaDB/MySQL (default: TEST_MYSQL_URL when set)
//   BENCH_OUT=path       where to write the results (default bench/results.json)
//   BENCH_ONLY=a,b       only these groups of rows: startup, reads, update, add, pool, poller, discovery, otlp,
//                        analytics (alone: stage statistics, estimates and retention, bench/analytics.ts, no seeding)
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, sql } from 'kysely'
import { createConnection } from 'mysql2/promise'
import { createDialect } from '../db/dialect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import { ROOT } from '../src/lib/root.js'
import { type FakeBuild, FakeJenkins } from '../test/fixtures/fake-jenkins.js'
import { hostileRows, seedHostile } from './hostile.js'
import { seed, seedRunning } from './seed.js'
import { benchAnalytics } from './analytics.js'
import { figureRow, type Row } from './row.js'
import { benchOtlp } from './otlp.js'

const SMOKE = process.env.BENCH_SMOKE === '1'
const DURATION = SMOKE ? 1 : Number(process.env.BENCH_DURATION ?? 5)
const ROUNDS = SMOKE ? 1 : Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = 50
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results.json')
const MYSQL = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL
const ONLY = process.env.BENCH_ONLY?.split(',').map((g) => g.trim())
/** Whether a group of rows runs: all of them unless BENCH_ONLY names some (a change measures its own rows). */
const wants = (group: string): boolean => ONLY == null || ONLY.includes(group)

export type { Row }

interface Load { rps: number, p50_ms: number, p99_ms: number, errors: number, non2xx: number }

// async: the Jenkins double lives in this process and must keep answering while load runs
const run = promisify(execFile)
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`) }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function waitReady (url: string, child: ChildProcess, timeoutMs = 20_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode != null) throw new Error(`${url}: process exited with ${child.exitCode}`)
    try {
      if ((await fetch(url)).ok) return Date.now() - started
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`)
}

function startServer (env: Record<string, string>, port: number): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    // the load's connections and streams all come from 127.0.0.1, standing in for many clients
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '0', POLL_INTERVAL_MS: '3600000', CONNECTIONS_PER_ADDRESS: '100000', STREAM_MAX_PER_ADDRESS: '100000', ...env },
    stdio: ['ignore', 'ignore', 'inherit']
  })
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode != null) return
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

function rssMb (pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
  return m == null ? NaN : Math.round(Number(m[1]) / 1024)
}

/** Opens `n` event streams (Server-Sent Events) and reads them; answers how many events arrived and how to close them. */
async function openStreams (url: string, n: number): Promise<{ events: () => number, close: () => void }> {
  let events = 0
  const responses: IncomingMessage[] = []
  await Promise.all(Array.from({ length: n }, async () => await new Promise<void>((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`stream answered ${res.statusCode ?? '?'}`)); return }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { events += chunk.split('\n\n').length - 1 })
      res.on('error', () => {})
      responses.push(res)
      resolve()
    }).on('error', reject)
  })))
  return { events: () => events, close: () => { for (const r of responses) r.destroy() } }
}

/** Warm-up, then ROUNDS rounds; the median of each figure. */
async function measure (opts: Record<string, unknown>): Promise<Load> {
  const load = async (duration: number): Promise<Load> => JSON.parse((await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/load.ts'), JSON.stringify({ connections: CONNECTIONS, ...opts, duration })], { cwd: ROOT, encoding: 'utf8' })).stdout)
  if (!SMOKE) await load(2) // warm-up
  const rounds: Load[] = []
  for (let i = 0; i < ROUNDS; i++) rounds.push(await load(DURATION))
  const bad = rounds.reduce((n, r) => n + r.errors + r.non2xx, 0)
  if (bad > 0 && !SMOKE) log(`warning: ${bad} errors or non-2xx answers in ${String(opts.url)}`)
  return { rps: round(median(rounds.map((r) => r.rps)), 0), p50_ms: median(rounds.map((r) => r.p50_ms)), p99_ms: median(rounds.map((r) => r.p99_ms)), errors: bad, non2xx: 0 }
}

/** Baseline (c): the raw driver inserting single rows, as fast as it goes, for DURATION seconds. */
async function rawInserts (url: string): Promise<number> {
  const db = new Kysely<any>({ dialect: await createDialect(url) })
  await sql`create table bench_raw (id integer primary key ${sql.raw(url.startsWith('mysql') ? 'auto_increment' : 'autoincrement')}, v text not null)`.execute(db)
  let n = 0
  const until = Date.now() + DURATION * 1000
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      await sql`insert into bench_raw (v) values (${JSON.stringify({ URL: 'http://jenkins/job/Test/7/console', N: n })})`.execute(db)
      n++
    }
  }
  await Promise.all(Array.from({ length: url.startsWith('mysql') ? CONNECTIONS : 1 }, worker))
  await sql`drop table bench_raw`.execute(db)
  await db.destroy()
  return round(n / DURATION, 0)
}

async function newDatabase (kind: 'sqlite' | 'mysql', name: string): Promise<{ url: string, drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tc-bench-'))
    return { url: `sqlite:${dir}/${name}.sqlite`, drop: async () => {} }
  }
  const base = new URL(MYSQL as string)
  const db = `${base.pathname.slice(1)}_bench_${name}_${process.pid}`
  const admin = await createConnection({ uri: MYSQL })
  await admin.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  await admin.end()
  base.pathname = `/${db}`
  return {
    url: base.toString(),
    drop: async () => {
      const c = await createConnection({ uri: MYSQL })
      await c.query(`DROP DATABASE IF EXISTS \`${db}\``)
      await c.end()
    }
  }
}

async function benchDatabase (kind: 'sqlite' | 'mysql', jenkins: FakeJenkins, rows: Row[]): Promise<void> {
  const database = kind === 'sqlite' ? 'SQLite' : 'MariaDB'
  const jenkinsEnv = { JENKINS_URL: jenkins.baseUrl, JENKINS_USER: jenkins.user, JENKINS_TOKEN: jenkins.apiToken }
  const harness = { smoke: SMOKE, measure, startServer, stop, waitReady, freePort, newDatabase, log }
  if (ONLY?.join() === 'analytics') { await benchAnalytics(kind, jenkinsEnv, harness, rows); return }
  const { url, drop } = await newDatabase(kind, 'api')
  const db = new Kysely<Database>({ dialect: await createDialect(url) })
  await migrateToLatest(db, { info: () => {}, error: () => {} })
  log(`${database}: seeding`)
  const s = await seed(db, SMOKE ? 500 : 10_000)
  await db.destroy()

  const env = { DATABASE_URL: url, JENKINS_URL: jenkins.baseUrl, JENKINS_USER: jenkins.user, JENKINS_TOKEN: jenkins.apiToken }
  const port = await freePort()

  // Start-up and memory on the seeded database, before any load: a process that served the load rows
  // keeps the heap they grew (~290 MB) and has thousands of Build/add leftovers to follow, so it would
  // measure those rather than start-up, idleness or the streams' own cost.
  log(`${database}: startup on the seeded database, idle memory, 1,000 open event streams`)
  // the first start after a build fills Node's compile cache (src/server.ts); reported, then a restart is measured
  const first = startServer(env, port)
  const firstStartMs = await waitReady(`http://127.0.0.1:${port}/readyz`, first)
  await stop(first)
  const fresh = wants('startup') ? startServer(env, port) : null
  if (fresh != null) {
    try {
      const startup = await waitReady(`http://127.0.0.1:${port}/readyz`, fresh)
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const rss = rssMb(fresh.pid as number)
      rows.push(figureRow('startup to ready; idle RSS', database, '≤ 500 ms; ≤ 100 MB', startup <= 500 && rss <= 100, { startup_ms: startup, idle_rss_mb: rss, first_start_ms: firstStartMs }))
      if (!SMOKE) {
        const many = await openStreams(`http://127.0.0.1:${port}/TestCloud/DevOps/events?DevOpsPlanID=${s.bigPlan}`, 1000)
        await new Promise((resolve) => setTimeout(resolve, 2000))
        const held = rssMb(fresh.pid as number)
        many.close()
        rows.push(figureRow('1,000 open event streams on one process', database, '≤ 150 MB RSS', held <= 150, { rss_mb: held, rss_before_mb: rss }))
      }
    } finally {
      await stop(fresh)
    }
  }
  const basePort = await freePort()
  const server = startServer(env, port)
  const baseline = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts')], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, PORT: String(basePort) }, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`, server)
    await waitReady(`http://127.0.0.1:${basePort}/json/10`, baseline)
    const api = `http://127.0.0.1:${port}/TestCloud/DevOps`
    const bytes = async (u: string): Promise<number> => Buffer.byteLength(await (await fetch(u)).text())
    const baseA: Record<number, number> = {}
    const baselineA = async (n: number): Promise<number> => (baseA[n] ??= (await measure({ url: `http://127.0.0.1:${basePort}/json/${n}` })).rps)
    let baseBRps: number | undefined
    const baselineB = async (): Promise<number> => {
      if (baseBRps == null) log(`${database}: baseline (b) primary-key SELECT`)
      return (baseBRps ??= (await measure({ url: `http://127.0.0.1:${basePort}/pk/${s.someBuildId}` })).rps)
    }

    const reads: Array<{ name: string, path: string, base: 'a' | 'b', target: number, p99?: number }> = [
      { name: 'Product/list', path: '/Product/list', base: 'a', target: 0.5 },
      { name: 'Stage/info (finished build)', path: `/Stage/info?DevOpsPlanID=${s.bigPlan}&BuildIndex=${s.finishedBuild}`, base: 'a', target: 0.5 },
      { name: 'Build/info (finished build)', path: `/Build/info?DevOpsPlanID=${s.bigPlan}&BuildIndex=${s.finishedBuild}`, base: 'a', target: 0.5 },
      { name: 'Plan/list', path: '/Plan/list?ProductID=1', base: 'a', target: 0.5 },
      { name: 'Build/list (page of 50)', path: `/Build/list?DevOpsPlanID=${s.bigPlan}&PageIndex=3`, base: 'b', target: 0.8, p99: 10 },
      { name: 'Build/list (Status=Fail)', path: `/Build/list?DevOpsPlanID=${s.bigPlan}&Status=Fail&PageIndex=2`, base: 'b', target: 0.8, p99: 10 },
      { name: 'Stage/info (running build)', path: `/Stage/info?DevOpsPlanID=${s.bigPlan}&BuildIndex=${s.runningBuild}`, base: 'b', target: 0.8, p99: 10 }
    ]
    const readRps: Record<string, number> = {}
    for (const r of !wants('reads') ? [] : SMOKE ? reads.slice(0, 1) : reads) {
      log(`${database}: ${r.name}`)
      const m = await measure({ url: api + r.path })
      readRps[r.name] = m.rps
      const baseRps = r.base === 'a' ? await baselineA(await bytes(api + r.path)) : await baselineB()
      const ratio = round(m.rps / baseRps)
      const met = ratio >= r.target && (r.p99 == null || m.p99_ms <= r.p99)
      rows.push({ name: r.name, database, rps: m.rps, p50_ms: m.p50_ms, p99_ms: m.p99_ms, baseline: r.base === 'a' ? '(a) bare Fastify, same JSON size' : '(b) bare Fastify + one PK SELECT', baseline_rps: baseRps, ratio, target: `≥ ${r.target}×${r.p99 == null ? '' : `, p99 ≤ ${r.p99} ms`}`, met })
    }

    if (!SMOKE && wants('reads')) {
      // issue 14 point 4: one log line per request at info; the same read with request logging off
      log(`${database}: Product/list with LOG_LEVEL=warn (no request lines)`)
      const quietPort = await freePort()
      const quiet = startServer({ ...env, LOG_LEVEL: 'warn' }, quietPort)
      try {
        await waitReady(`http://127.0.0.1:${quietPort}/readyz`, quiet)
        const m = await measure({ url: `http://127.0.0.1:${quietPort}/TestCloud/DevOps/Product/list` })
        rows.push({ name: 'Product/list, request logging off (LOG_LEVEL=warn)', database, rps: m.rps, p50_ms: m.p50_ms, p99_ms: m.p99_ms, baseline: 'Product/list at info (one line per request)', baseline_rps: readRps['Product/list'], ratio: round(readRps['Product/list'] / m.rps), target: 'report only (ratio: info ÷ warn)', met: true })
      } finally {
        await stop(quiet)
      }
    }

    if (wants('update') || wants('add')) {
      log(`${database}: baseline (c) raw single-row inserts`)
      const baseC = await rawInserts(url)
      log(`${database}: baseline (d) bare Fastify + one INSERT per POST`)
      const baseD = (await measure({ url: `http://127.0.0.1:${basePort}/insert`, method: 'POST', body: JSON.stringify({ StageName: 'Build', Status: 'Pass', Detail: { URL: 'http://jenkins/job/Test/7/console' } }) })).rps
      rows.push(figureRow('baseline (c) raw driver, single-row inserts, no HTTP (ceiling, reported)', database, 'report only', true, { inserts_per_s: baseC, http_insert_rps_d: baseD }))

      if (wants('update')) {
        log(`${database}: Build/update`)
        const upd = await measure({ url: `${api}/Build/update`, method: 'POST', mode: 'update', planId: s.updatePlan, builds: s.updateBuilds })
        rows.push({ name: 'Build/update (new and repeated stages)', database, rps: upd.rps, p50_ms: upd.p50_ms, p99_ms: upd.p99_ms, baseline: '(d) bare Fastify + one INSERT per POST', baseline_rps: baseD, ratio: round(upd.rps / baseD), target: database === 'SQLite' ? '≥ 0.5×, p99 ≤ 50 ms' : '≥ 0.35×, p99 ≤ 50 ms', met: upd.rps / baseD >= (database === 'SQLite' ? 0.5 : 0.35) && upd.p99_ms <= 50 })

        if (!SMOKE) {
          // the live stream's cost to the write path: 50 subscribers of every event (no filter: the worst case)
          log(`${database}: Build/update with 50 stream subscribers`)
          const streams = await openStreams(`${api}/events`, 50)
          const withStreams = await measure({ url: `${api}/Build/update`, method: 'POST', mode: 'update', planId: s.updatePlan, builds: s.updateBuilds })
          await new Promise((resolve) => setTimeout(resolve, 500))
          const delivered = streams.events()
          streams.close()
          rows.push({ name: 'Build/update with 50 event-stream subscribers', database, rps: withStreams.rps, p50_ms: withStreams.p50_ms, p99_ms: withStreams.p99_ms, baseline: 'Build/update without subscribers', baseline_rps: upd.rps, ratio: round(withStreams.rps / upd.rps), target: '≥ 0.85× (the stream costs ≤ 15 %)', met: withStreams.rps / upd.rps >= 0.85, extra: { events_delivered: delivered } })
        }
      }

      if (!SMOKE && wants('add')) { // the smoke run checks one read and one write
        log(`${database}: Build/add against the Jenkins double`)
        const add = await measure({ url: `${api}/Build/add`, method: 'POST', body: JSON.stringify({ DevOpsPlanID: s.addPlan, Parameter: { parameter: [{ name: 'Branch', value: 'main' }] } }) })
        rows.push({ name: 'Build/add (Jenkins double)', database, rps: add.rps, p50_ms: add.p50_ms, p99_ms: add.p99_ms, baseline: '(d) bare Fastify + one INSERT per POST', baseline_rps: baseD, ratio: round(add.rps / baseD), target: 'report only', met: true })
      }
    }
  } finally {
    await stop(server)
    await stop(baseline)
  }

  if (kind === 'mysql' && !SMOKE && wants('pool')) {
    // issue 14 point 6: connections per process against throughput, one server per pool size
    for (const size of [2, 5, 10, 20]) {
      log(`${database}: pool of ${size} connections`)
      const p = await freePort()
      const sized = startServer({ ...env, DATABASE_POOL_SIZE: String(size) }, p)
      try {
        await waitReady(`http://127.0.0.1:${p}/readyz`, sized)
        const api = `http://127.0.0.1:${p}/TestCloud/DevOps`
        const upd = await measure({ url: `${api}/Build/update`, method: 'POST', mode: 'update', planId: s.updatePlan, builds: s.updateBuilds })
        const list = await measure({ url: `${api}/Build/list?DevOpsPlanID=${s.bigPlan}&Status=Fail&PageIndex=${size}` })
        rows.push({ name: `pool of ${size} connections (DATABASE_POOL_SIZE)`, database, rps: upd.rps, p50_ms: upd.p50_ms, p99_ms: upd.p99_ms, baseline: null, baseline_rps: null, ratio: null, target: 'report only (rps: Build/update)', met: true, extra: { build_update_rps: upd.rps, build_list_rps: list.rps, build_list_p99_ms: list.p99_ms } })
      } finally {
        await stop(sized)
      }
    }
  }

  if (wants('poller')) await benchPoller(kind, database, rows)
  if (wants('discovery')) await benchDiscovery(kind, database, rows)
  if (wants('otlp')) await benchOtlpRow(kind, database, rows)
  await drop()
  if (wants('analytics')) await benchAnalytics(kind, jenkinsEnv, harness, rows)
}

async function benchPoller (kind: 'sqlite' | 'mysql', database: string, rows: Row[]): Promise<void> {
  log(`${database}: poller tick over running builds`)
  const n = SMOKE ? 100 : 2000
  const pollDb = await newDatabase(kind, 'poll')
  const pdb = new Kysely<Database>({ dialect: await createDialect(pollDb.url) })
  await migrateToLatest(pdb, { info: () => {}, error: () => {} })
  await seedRunning(pdb, n)
  await pdb.destroy()
  const pollJenkins = new FakeJenkins({ blueOcean: true })
  const job = pollJenkins.addJob({ name: 'Bench', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  for (let i = 1; i <= n; i++) {
    const b: FakeBuild = { number: i, job, queueId: i, params: {}, timestamp: Date.now(), building: true, result: null, duration: 0, stages: [] }
    pollJenkins.builds.get('Bench')?.push(b)
    pollJenkins.enterStage(b, 'Build')
  }
  await pollJenkins.start()
  pollJenkins.latencyMs = 20
  const tick = JSON.parse((await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/poller-scale.ts')], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: pollDb.url, JENKINS_URL: pollJenkins.baseUrl, JENKINS_USER: pollJenkins.user, JENKINS_TOKEN: pollJenkins.apiToken }
  })).stdout.trim().split('\n').at(-1) as string) as { claimed: number, ms: number, requests: number, first_ms: number, first_requests: number, cpu_ms: number, rss_mb: number }
  const jenkinsRequests = tick.requests
  await pollJenkins.stop()
  await pollDb.drop()
  rows.push(figureRow(`poller: one tick over ${n} running builds (Jenkins +20 ms)`, database,
    '≤ 2000 ms, ≤ 1 request per build',
    tick.ms <= 2000 && jenkinsRequests <= n,
    { builds: tick.claimed, tick_ms: tick.ms, jenkins_requests: jenkinsRequests, requests_per_build: round(jenkinsRequests / n), cpu_ms: tick.cpu_ms, rss_mb: tick.rss_mb, first_tick_ms: tick.first_ms, first_tick_requests: tick.first_requests }))
}

async function benchDiscovery (kind: 'sqlite' | 'mysql', database: string, rows: Row[]): Promise<void> {
  log(`${database}: discovery tick over watched jobs`)
  const discDb = await newDatabase(kind, 'disc')
  const jobs = SMOKE ? 20 : 200
  const disc = JSON.parse((await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/discovery-scale.ts')], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: discDb.url, BENCH_JOBS: String(jobs) }
  })).stdout.trim().split('\n').at(-1) as string) as Record<string, number>
  await discDb.drop()
  rows.push(figureRow(`discovery: one tick over ${jobs} watched jobs (Jenkins +20 ms)`, database,
    `≤ ${jobs} requests per tick, 1 per job when nothing is new`,
    disc.steady_requests === jobs && disc.new_requests <= jobs && disc.imported === disc.new_runs,
    disc))
}

/** Jenkins' OpenTelemetry plugin pushing stage ends: one export decoded and applied (bench/otlp.ts). */
async function benchOtlpRow (kind: 'sqlite' | 'mysql', database: string, rows: Row[]): Promise<void> {
  log(`${database}: OTLP export of 512 spans over 50 running builds`)
  const otlpDb = await newDatabase(kind, 'otlp')
  const o = await benchOtlp(otlpDb.url)
  await otlpDb.drop()
  rows.push(figureRow(`OTLP: one export of ${o.spans} spans over ${o.builds} running builds, decoded and applied`, database,
    kind === 'sqlite' ? '≥ 2,000 spans/s; unknown traces: no write' : 'report only; unknown traces: no write',
    (kind !== 'sqlite' || o.spans_per_s >= 2000) && o.unknown_traces_writes === 0,
    { ...o }))
}

async function main (): Promise<void> {
  log('building the server (npm run build)')
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  const jenkins = new FakeJenkins()
  jenkins.addJob({ name: 'Bench', parameters: { Branch: 'main', DevOpsPlanID: '', BuildIndex: '' } })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  await jenkins.start()
  const rows: Row[] = []
  try {
    await benchDatabase('sqlite', jenkins, rows)
    if (!SMOKE) {
      const { url, drop } = await newDatabase('sqlite', 'hostile')
      log('SQLite: seeding 200k builds and 300k events for the hostile-client rows')
      await seedHostile(url, 200_000, 300_000)
      await hostileRows('SQLite', url, rows)
      await drop()
    }
    if (MYSQL != null) await benchDatabase('mysql', jenkins, rows)
    else log('MariaDB skipped: set BENCH_MYSQL_URL (or TEST_MYSQL_URL)')
  } finally {
    await jenkins.stop()
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  writeFileSync(OUT, JSON.stringify({ commit, cores: cpus().length, smoke: SMOKE, duration_s: DURATION, rounds: ROUNDS, connections: CONNECTIONS, results: rows }, null, 2) + '\n')
  console.log(table(rows))
  log(`wrote ${OUT}`)
}

export function table (rows: Row[]): string {
  const lines = ['| measure | db | req/s | p50 ms | p99 ms | baseline req/s | ratio | target | met |', '|---|---|---|---|---|---|---|---|---|']
  for (const r of rows) {
    const figures = r.extra == null ? '' : Object.entries(r.extra).map(([k, v]) => `${k} ${v}`).join(', ')
    lines.push(`| ${r.name}${figures === '' ? '' : ` (${figures})`} | ${r.database} | ${r.rps ?? ''} | ${r.p50_ms ?? ''} | ${r.p99_ms ?? ''} | ${r.baseline_rps ?? ''} | ${r.ratio ?? ''} | ${r.target} | ${r.met ? 'yes' : '**no**'} |`)
  }
  return lines.join('\n')
}

await main()
