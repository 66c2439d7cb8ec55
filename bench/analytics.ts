// Rows of the history features (stage statistics, estimates, retention), called by run.ts with its
// helpers. BENCH_ONLY=analytics runs these rows alone. Sizes: BENCH_STATS_BUILDS (default 10,000
// ended builds × 20 stages) and BENCH_PRUNE_EVENTS (default 1,000,000 events to prune).
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { Kysely } from 'kysely'
import { createDialect } from '../db/dialect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import { ROOT } from '../src/lib/root.js'
import type { Row } from './row.js'

export interface Harness {
  smoke: boolean
  measure: (opts: Record<string, unknown>) => Promise<{ rps: number, p50_ms: number, p99_ms: number }>
  startServer: (env: Record<string, string>, port: number) => ChildProcess
  stop: (child: ChildProcess) => Promise<void>
  waitReady: (url: string, child: ChildProcess) => Promise<number>
  freePort: () => Promise<number>
  newDatabase: (kind: 'sqlite' | 'mysql', name: string) => Promise<{ url: string, drop: () => Promise<void> }>
  log: (msg: string) => void
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const STAGES = 20

async function insertChunked<T extends keyof Database> (db: Kysely<Database>, table: T, rows: any[]): Promise<void> {
  for (let k = 0; k < rows.length; k += 500) await db.insertInto(table).values(rows.slice(k, k + 500)).execute()
}

/**
 * One product; plan 1 with `builds` ended builds of 20 stages and a running build after them;
 * plan 2 with 200 running builds for the Build/update load; plan 3 with builds holding `events` events to prune.
 */
async function seedHistory (db: Kysely<Database>, builds: number, pruneEvents: number): Promise<{ runningBuild: number, pkId: number }> {
  const now = Math.floor(Date.now() / 1000)
  await db.insertInto('products').values({ name: 'Bench', created_at: now }).execute()
  for (const name of ['History', 'Updates', 'Prune']) {
    await db.insertInto('plans').values({ product_id: 1, name, job_name: 'Test', created_at: now }).execute()
  }
  const build = (planId: number, i: number, status: string, start: number) => ({
    plan_id: planId,
    build_index: i,
    status,
    job_name: 'Test',
    parameter: '{"parameter":[]}',
    detail: '{}',
    create_time: start - 5,
    start_time: start,
    end_time: status === 'Running' ? null : start + 400,
    poll_after: Number.MAX_SAFE_INTEGER
  })
  const statusOf = (i: number): string => i % 10 === 3 ? 'Fail' : i % 17 === 0 ? 'Aborted' : 'Pass'
  await insertChunked(db, 'builds', Array.from({ length: builds + 1 }, (_, k) =>
    build(1, k + 1, k === builds ? 'Running' : statusOf(k + 1), now - (builds - k) * 600)))
  await db.updateTable('plans').set({ last_build_index: builds + 1 }).where('id', '=', 1).execute()
  const ids = await db.selectFrom('builds').select(['id', 'build_index', 'start_time', 'status']).where('plan_id', '=', 1).orderBy('build_index').execute()
  let stages: any[] = []
  for (const b of ids) {
    const running = b.status === 'Running'
    for (let k = 0; k < STAGES; k++) {
      // Stage 7 flips now and then; Stage 12 is skipped in one build of four; the rest pass with some spread
      const failed = b.status === 'Fail' && k === 7
      const skipped = k === 12 && b.build_index % 4 === 0
      const start = (b.start_time as number) + k * 20
      const last = running && k >= 10
      stages.push({
        build_id: b.id,
        stage_id: k + 1,
        name: `Stage ${k + 1}`,
        pre_stage_ids: JSON.stringify(k === 0 ? [] : k % 5 === 0 ? [k - 1, k] : [k]),
        status: last ? (k === 10 ? 'Running' : 'Queued') : skipped ? 'Skipped' : failed ? 'Fail' : 'Pass',
        detail: '{}',
        start_time: last && k > 10 ? null : start,
        end_time: last ? null : start + 10 + ((b.build_index * 7 + k) % 9)
      })
      if (stages.length >= 5000) { await insertChunked(db, 'stages', stages); stages = [] }
    }
  }
  await insertChunked(db, 'stages', stages)
  await insertChunked(db, 'builds', Array.from({ length: 200 }, (_, k) => build(2, k + 1, 'Running', now - 60)))
  await db.updateTable('plans').set({ last_build_index: 200 }).where('id', '=', 2).execute()
  // the prune plan: 100 events and 5 stages per build
  const pruneBuilds = Math.max(2, Math.ceil(pruneEvents / 100))
  await insertChunked(db, 'builds', Array.from({ length: pruneBuilds }, (_, k) => build(3, k + 1, 'Pass', now - 86_400 * 30)))
  await db.updateTable('plans').set({ last_build_index: pruneBuilds }).where('id', '=', 3).execute()
  const pruneIds = await db.selectFrom('builds').select(['id', 'build_index']).where('plan_id', '=', 3).orderBy('build_index').execute()
  let events: any[] = []
  stages = []
  for (const b of pruneIds) {
    for (let k = 0; k < 5; k++) stages.push({ build_id: b.id, stage_id: k + 1, name: `S${k}`, pre_stage_ids: '[]', status: 'Pass', detail: '{}', start_time: now, end_time: now })
    for (let k = 0; k < 100; k++) {
      events.push({ build_id: b.id, plan_id: 3, product_id: 1, build_index: b.build_index, stage_name: `S${k % 5}`, status: 'Pass', source: 'callback', detail: '{}', time: now })
    }
    if (events.length >= 10_000) { await insertChunked(db, 'events', events); await insertChunked(db, 'stages', stages); events = []; stages = [] }
  }
  await insertChunked(db, 'events', events)
  await insertChunked(db, 'stages', stages)
  const pk = await db.selectFrom('builds').select('id').where('plan_id', '=', 1).where('build_index', '=', builds - 5).executeTakeFirstOrThrow()
  return { runningBuild: builds + 1, pkId: pk.id }
}

async function pruned (base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text()
  let n = 0
  for (const m of text.matchAll(/^testcloud_retention_pruned_total\{kind="\w+"\} (\d+)/gm)) n += Number(m[1])
  return n
}

export async function benchAnalytics (kind: 'sqlite' | 'mysql', jenkinsEnv: Record<string, string>, h: Harness, rows: Row[]): Promise<void> {
  const database = kind === 'sqlite' ? 'SQLite' : 'MariaDB'
  const builds = h.smoke ? 300 : Number(process.env.BENCH_STATS_BUILDS ?? 10_000)
  const pruneEvents = h.smoke ? 2000 : Number(process.env.BENCH_PRUNE_EVENTS ?? 1_000_000)
  const { url, drop } = await h.newDatabase(kind, 'history')
  const db = new Kysely<Database>({ dialect: await createDialect(url) })
  await migrateToLatest(db, { info: () => {}, error: () => {} })
  h.log(`${database}: seeding ${builds} ended builds × ${STAGES} stages and ${pruneEvents} events to prune`)
  const seededAt = Date.now()
  const s = await seedHistory(db, builds, pruneEvents)
  h.log(`${database}: seeded in ${Math.round((Date.now() - seededAt) / 1000)} s`)
  await db.destroy()
  const env = { DATABASE_URL: url, ...jenkinsEnv }
  const port = await h.freePort()
  const basePort = await h.freePort()
  const server = h.startServer(env, port)
  const baseline = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts')], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, PORT: String(basePort) }, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await h.waitReady(`http://127.0.0.1:${port}/readyz`, server)
    await h.waitReady(`http://127.0.0.1:${basePort}/json/10`, baseline)
    const api = `http://127.0.0.1:${port}/TestCloud/DevOps`
    for (const last of [50, 500]) {
      const path = `${api}/Stage/stats?DevOpsPlanID=1&Last=${last}`
      // the first answer computes (read and fold the rows); the load then meets the cache until the plan changes
      const t0 = performance.now()
      const first = await (await fetch(path)).text()
      const coldMs = round(performance.now() - t0, 1)
      h.log(`${database}: Stage/stats Last=${last} (cold ${coldMs} ms, ${first.length} bytes)`)
      const m = await h.measure({ url: path })
      const base = await h.measure({ url: `http://127.0.0.1:${basePort}/json/${Buffer.byteLength(first)}` })
      const ratio = round(m.rps / base.rps)
      rows.push({ name: `Stage/stats Last=${last} over ${builds} ended builds × ${STAGES} stages, plan unchanged`, database, rps: m.rps, p50_ms: m.p50_ms, p99_ms: m.p99_ms, baseline: '(a) bare Fastify, same JSON size', baseline_rps: base.rps, ratio, target: '≥ 0.5×, p99 ≤ 20 ms', met: ratio >= 0.5 && m.p99_ms <= 20, extra: { cold_ms: coldMs, bytes: Buffer.byteLength(first) } })
    }
    const info = `${api}/Build/info?DevOpsPlanID=1&BuildIndex=${s.runningBuild}`
    const body = await (await fetch(info)).json() as { Build: { Progress: number | null } }
    h.log(`${database}: Build/info of a running build with its estimate (Progress ${String(body.Build.Progress)})`)
    const m = await h.measure({ url: info })
    const baseB = await h.measure({ url: `http://127.0.0.1:${basePort}/pk/${s.pkId}` })
    const ratio = round(m.rps / baseB.rps)
    rows.push({ name: 'Build/info of a running build, with its estimate', database, rps: m.rps, p50_ms: m.p50_ms, p99_ms: m.p99_ms, baseline: '(b) bare Fastify + one PK SELECT', baseline_rps: baseB.rps, ratio, target: '≥ 0.8×', met: ratio >= 0.8 && body.Build.Progress != null })

    h.log(`${database}: Build/update without retention`)
    const upd = await h.measure({ url: `${api}/Build/update`, method: 'POST', mode: 'update', planId: 2, builds: 200 })
    await h.stop(server)
    // the same server with retention on: every build of the prune plan but its newest goes
    const prunePort = await h.freePort()
    const pruning = h.startServer({ ...env, RETAIN_BUILDS: '1', RETAIN_INTERVAL_MS: '3600000' }, prunePort)
    try {
      await h.waitReady(`http://127.0.0.1:${prunePort}/readyz`, pruning)
      const pbase = `http://127.0.0.1:${prunePort}`
      h.log(`${database}: Build/update while retention prunes`)
      const started = Date.now()
      const during = await h.measure({ url: `${pbase}/TestCloud/DevOps/Build/update`, method: 'POST', mode: 'update', planId: 2, builds: 200 })
      const prunedDuring = await pruned(pbase)
      const windowS = (Date.now() - started) / 1000
      // the whole backlog takes minutes at a tenth of the write lock: its rate is reported, not waited for
      const rate = Math.round(prunedDuring / windowS)
      const ratioU = round(during.rps / upd.rps)
      rows.push({ name: `Build/update while retention prunes ${pruneEvents} events with their builds`, database, rps: during.rps, p50_ms: during.p50_ms, p99_ms: during.p99_ms, baseline: 'Build/update without retention', baseline_rps: upd.rps, ratio: ratioU, target: '≥ 0.85× (≤ 15 % cost), p99 ≤ 100 ms', met: ratioU >= 0.85 && during.p99_ms <= 100, extra: { rows_pruned_during_load: prunedDuring, load_window_s: round(windowS, 1), pruned_rows_per_s: rate } })
    } finally {
      await h.stop(pruning)
    }
  } finally {
    await h.stop(server)
    await h.stop(baseline)
    await drop()
  }
}
