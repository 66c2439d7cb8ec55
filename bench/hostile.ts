// Rows for clients that are slow, careless or hostile: what they cost the server's memory and the
// other clients' p99. Part of `npm run bench` (SQLite), or on its own:
//   tsx bench/hostile.ts                 → prints the rows as JSON
//   BENCH_SERVER_DIR=/other/checkout     → measures that checkout's built server instead (before/after)
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Kysely } from 'kysely'
import { createDialect } from '../db/dialect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import { ROOT } from '../src/lib/root.js'
import type { Row } from './row.js'
import { seed } from './seed.js'

const run = promisify(execFile)
const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`) }
const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
/** a server over this much RSS is stopped (the unbounded case would take the machine's memory) */
const RSS_CEILING_MB = 1500

interface Load { rps: number, p50_ms: number, p99_ms: number, errors: number, non2xx: number }

// 50 connections, as in bench/run.ts: the server answers at most 10,000 requests per connection
// (maxRequestsPerSocket) and then asks the client to reconnect, which autocannon ignores, so with 10
// connections a 5 s round of Product/list at ~45,000 req/s ended in 503s for the client, not the server
async function load (opts: Record<string, unknown>): Promise<Load> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/load.ts'), JSON.stringify({ connections: 50, duration: DURATION, ...opts })], { cwd: ROOT, encoding: 'utf8' })
  return JSON.parse(stdout) as Load
}

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function rssMb (pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
    return m == null ? NaN : Math.round(Number(m[1]) / 1024)
  } catch {
    return NaN
  }
}

async function start (dir: string, url: string): Promise<{ child: ChildProcess, base: string }> {
  const port = await freePort()
  const child = spawn(process.execPath, [join(dir, 'dist/src/server.js')], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      POLL_INTERVAL_MS: '3600000',
      // the load generator's connections all come from 127.0.0.1, standing in for many clients
      CONNECTIONS_PER_ADDRESS: '100000',
      STREAM_MAX_PER_ADDRESS: '1000'
    },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 2000; i++) {
    if (child.exitCode != null) throw new Error(`server exited with ${child.exitCode}`)
    try { if ((await fetch(`${base}/healthz`)).ok) return { child, base } } catch { /* not yet */ }
    await sleep(10)
  }
  throw new Error('server did not start')
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** Samples the RSS every 100 ms until `until` settles; stops the server past the ceiling. */
function watchRss (child: ChildProcess): { max: () => number, stop: () => void, capped: () => boolean } {
  let max = rssMb(child.pid as number)
  let capped = false
  const timer = setInterval(() => {
    const rss = rssMb(child.pid as number)
    if (rss > max) max = rss
    if (rss > RSS_CEILING_MB && !capped) { capped = true; child.kill('SIGKILL') }
  }, 100)
  return { max: () => max, stop: () => clearInterval(timer), capped: () => capped }
}

/** `n` connections that ask for the whole event history and never read a byte of the answer. */
async function nonReaders (base: string, n: number): Promise<Socket[]> {
  const { port } = new URL(base)
  return await Promise.all(Array.from({ length: n }, async () => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.pause()
    socket.write('GET /TestCloud/DevOps/events?LastEventID=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    return socket
  }))
}

/** A database with `builds` builds and `events` events (the events written straight into the table). */
export async function seedHostile (url: string, builds: number, events: number, dir = ROOT): Promise<void> {
  const db = new Kysely<Database>({ dialect: await createDialect(url) })
  try {
    // the schema of the server measured (another checkout may have fewer migrations)
    const migrate = dir === ROOT ? migrateToLatest : (await import(pathToFileURL(join(dir, 'dist/db/migrate.js')).href) as { migrateToLatest: typeof migrateToLatest }).migrateToLatest
    await migrate(db, { info: () => {}, error: () => {} })
    const s = await seed(db, builds)
    const plan = await db.selectFrom('plans').select(['id', 'product_id']).where('id', '=', s.bigPlan).executeTakeFirstOrThrow()
    const row = { build_id: s.someBuildId, plan_id: plan.id, product_id: plan.product_id, build_index: s.finishedBuild, source: 'api', detail: '{}', time: 1_800_000_000 }
    for (let i = 0; i < events; i += 1000) {
      await db.insertInto('events').values(Array.from({ length: Math.min(1000, events - i) }, (_, k) =>
        ({ ...row, stage_name: `Stage ${(i + k) % 20 + 1}`, status: (i + k) % 2 === 0 ? 'Running' : 'Pass' }))).execute()
    }
  } finally {
    await db.destroy()
  }
}

/**
 * 20 streams that never read, each asking for 300k events of history: the server's RSS growth, and
 * Product/list's p99 meanwhile against its p99 before. Then Product/list's p99 while /metrics (over
 * 200k builds) is scraped by 2 clients in a loop, against its p99 without.
 */
export async function hostileRows (database: string, url: string, rows: Row[], dir = ROOT): Promise<void> {
  const list = '/TestCloud/DevOps/Product/list'
  {
    log(`${database}: 20 event streams that never read, 300k events of history`)
    const { child, base } = await start(dir, url)
    try {
      const quiet = await load({ url: base + list })
      await sleep(500)
      const before = rssMb(child.pid as number)
      const rss = watchRss(child)
      const sockets = await nonReaders(base, 20)
      await sleep(3000) // the streams send what they may
      const during = rss.capped() ? null : await load({ url: base + list })
      rss.stop()
      for (const s of sockets) s.destroy()
      const growth = rss.max() - before
      rows.push({
        name: '20 event streams that never read (300k events of history): RSS growth; Product/list meanwhile',
        database,
        rps: during?.rps ?? null,
        p50_ms: during?.p50_ms ?? null,
        p99_ms: during?.p99_ms ?? null,
        baseline: 'Product/list without the streams',
        baseline_rps: quiet.rps,
        ratio: during == null ? null : Math.round(during.rps / quiet.rps * 100) / 100,
        target: '≤ 50 MB RSS growth; p99 kept',
        met: !rss.capped() && growth <= 50,
        extra: { rss_before_mb: before, rss_max_mb: rss.max(), rss_growth_mb: growth, stopped_over_mb: rss.capped() ? RSS_CEILING_MB : 0, p99_without_ms: quiet.p99_ms, errors_meanwhile: during == null ? -1 : during.errors + during.non2xx }
      })
    } finally {
      await stop(child)
    }
  }
  {
    log(`${database}: Product/list while /metrics is scraped in a loop`)
    const { child, base } = await start(dir, url)
    try {
      await fetch(`${base}/metrics`)
      const quiet = await load({ url: base + list })
      const [during, scrapes] = await Promise.all([load({ url: base + list }), load({ url: `${base}/metrics`, connections: 2 })])
      rows.push({
        name: 'Product/list while /metrics (200k builds) is scraped by 2 clients in a loop',
        database,
        rps: during.rps,
        p50_ms: during.p50_ms,
        p99_ms: during.p99_ms,
        baseline: 'Product/list without scrapes',
        baseline_rps: quiet.rps,
        ratio: Math.round(during.rps / quiet.rps * 100) / 100,
        target: 'p99 ≤ 2× its p99 without scrapes (report)',
        met: during.p99_ms <= 2 * quiet.p99_ms + 1,
        extra: { p99_without_ms: quiet.p99_ms, p50_without_ms: quiet.p50_ms, metrics_scrapes_per_s: Math.round(scrapes.rps), errors_meanwhile: during.errors + during.non2xx }
      })
    } finally {
      await stop(child)
    }
  }
}

if (process.argv[1]?.endsWith('hostile.ts') === true) {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'tc-hostile-')), 'bench.sqlite')}`
  log('seeding 200k builds and 300k events')
  const dir = process.env.BENCH_SERVER_DIR ?? ROOT
  await seedHostile(url, 200_000, 300_000, dir)
  const rows: Row[] = []
  await hostileRows('SQLite', url, rows, dir)
  console.log(JSON.stringify(rows, null, 2))
}
