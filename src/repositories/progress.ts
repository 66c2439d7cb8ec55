import type { Database as SqliteDatabase, Statement } from 'better-sqlite3'
import { type Compilable, type DialectAdapter, type Kysely, MysqlAdapter, sql } from 'kysely'
import type { Pool, PoolConnection } from 'mysql2'
import type { Database } from '../../db/schema.js'
import { mysqlBatches, rawSqlite } from '../../db/dialect.js'
import { notFound } from '../errors.js'
import { isTerminal, type Status } from '../status.js'
import type { EventSource, NewEvent } from './events.js'

// The write path's statements. Each is written once with Kysely's builder, compiled once per dialect
// with named markers for its values, then run as compiled SQL: building a query costs more than
// SQLite takes to run it. On SQLite the writes of one turn of the event loop share one synchronous
// better-sqlite3 transaction (BEGIN IMMEDIATE: the write lock first, so two processes queue instead of
// failing to upgrade a read lock), each in its own savepoint; on MySQL/MariaDB two round trips on a
// multi-statement connection: begin, lock the build
// row and read, then every write and the commit.

type Db = Kysely<Database>

/** The build as the write path reads it (its row's columns). */
export interface BuildState {
  id: number
  plan_id: number
  build_index: number
  product_id: number
  status: Status
  detail: string
  start_time: number | null
  end_time: number | null
  jenkins_build_number: number | null
  jenkins_url: string | null
}

/** A stage as the write path reads it (a stage is known by its build and name). */
export interface StageState {
  stage_id: number
  name: string
  pre_stage_ids: string
  status: Status
  detail: string
  start_time: number | null
  end_time: number | null
}

/** What the decisions need: the build, the stages the updates name (as stage or predecessor), the highest StageID. */
export interface ProgressState {
  build: BuildState
  stages: ReadonlyMap<string, StageState>
  lastStageId: number
}

export interface BuildKey { planId: number, buildIndex: number }
/** Which stages the updates name, as stage or predecessor: the only ones read. */
export interface StageRefs { names: string[], ids: number[] }
/** `at`: when it was decided, when several decisions are written together (else the outcome's `now`) */
export type ProgressEvent = NewEvent & { source: EventSource, at?: number }
/** What a write changes, as decided: the state before and after, and the events in order. */
export interface ProgressOutcome { before: ProgressState, after: ProgressState, events: ProgressEvent[], now: number }

/** Called with each statement's name as it runs (the statement-count test listens). */
let onStatement: ((name: string) => void) | undefined
export function traceStatements (listener: ((name: string) => void) | undefined): void { onStatement = listener }
/** Called after each commit with the number of writes it made durable (the group-commit test listens). */
let onCommit: ((writes: number) => void) | undefined
export function traceCommits (listener: ((writes: number) => void) | undefined): void { onCommit = listener }

/**
 * Runs one progress write of the build `key`: locks and reads its state once, lets `decide` (pure,
 * synchronous; it may throw to refuse) say what changes, writes that once, and answers once the
 * commit it shares with the other writes of the same turn of the event loop is done.
 */
export async function progressTransaction<T> (db: Db, key: BuildKey, refs: StageRefs,
  decide: (state: ProgressState) => { outcome: ProgressOutcome, answer: T }): Promise<T> {
  const raw = rawSqlite(db)
  const s = statementsFor(db)
  const pool = mysqlBatches(db) as Pool
  const group = groupOf(raw ?? pool, () => raw != null ? new CommitGroup(db, raw, s) : new MysqlCommitGroup(pool, s))
  return await new Promise<T>((resolve, reject) => {
    group.add({ key, refs, decide, resolve: resolve as (answer: unknown) => void, reject })
  })
}

/** One progress write waiting for its group's commit. */
interface Job {
  key: BuildKey
  refs: StageRefs
  decide: (state: ProgressState) => { outcome: ProgressOutcome, answer: unknown }
  resolve: (answer: unknown) => void
  reject: (err: unknown) => void
}

// ---- SQLite: group commit ----

/**
 * On SQLite a commit costs more than the writes it makes durable (the WAL frames of ~8 pages and the
 * write lock), so the writes that arrive in one turn of the event loop commit together: each in a
 * savepoint of one BEGIN IMMEDIATE transaction, in arrival order, and each caller is answered once
 * the group has committed, so nothing is acknowledged before it is durable. A refused or failing
 * write rolls back its own savepoint only; a failed commit, or an error that ends the transaction
 * (a full disk), fails the whole group with that error.
 */
class CommitGroup {
  private queue: Job[] = []
  private running = false
  /** one write; called inside the group's transaction, better-sqlite3 runs it in a savepoint */
  private readonly one: (job: Job) => unknown

  constructor (private readonly db: Db, private readonly raw: SqliteDatabase, private readonly s: Statements) {
    this.one = raw.transaction((job: Job) => {
      const { outcome, answer } = job.decide(loadSync(s, raw, job.key, job.refs))
      writeSync(s, raw, outcome)
      return answer
    })
  }

  add (job: Job): void {
    this.queue.push(job)
    if (this.queue.length === 1 && !this.running) setImmediate(this.flush)
  }

  // never rejects: every error is its jobs' answer
  private readonly flush = async (): Promise<void> => {
    this.running = true
    const jobs = this.queue
    this.queue = []
    const outcomes: Array<{ ok: true, answer: unknown } | { ok: false, err: unknown }> = []
    try {
      // Kysely's connection is held meanwhile, so none of its transactions is open on the handle
      await this.db.connection().execute(async () => {
        if (this.raw.inTransaction) throw new Error('a progress write inside an open transaction would join it')
        this.raw.transaction(() => {
          // a write that throws has rolled back its own savepoint; the others stand
          for (const job of jobs) {
            try {
              outcomes.push({ ok: true, answer: this.one(job) })
            } catch (err) {
              // SQLITE_FULL, IOERR and the like roll back the whole transaction, not the savepoint: the
              // writes before this one are gone and the ones after would each commit alone
              if (!this.raw.inTransaction) throw err
              outcomes.push({ ok: false, err })
            }
          }
        }).immediate()
      })
      onCommit?.(jobs.length)
      jobs.forEach((job, i) => {
        const o = outcomes[i]
        if (o.ok) job.resolve(o.answer); else job.reject(o.err)
      })
    } catch (err) {
      for (const job of jobs) job.reject(err)
    } finally {
      this.running = false
      if (this.queue.length > 0) setImmediate(this.flush)
    }
  }
}

/** The commit group of each database handle (a better-sqlite3 database or a MySQL pool). */
const GROUPS = new WeakMap<object, { add: (job: Job) => void }>()

function groupOf (handle: object, make: () => { add: (job: Job) => void }): { add: (job: Job) => void } {
  let g = GROUPS.get(handle)
  if (g == null) {
    g = make()
    GROUPS.set(handle, g)
  }
  return g
}

// ---- the statements, compiled once per dialect ----

/** A compiled statement and the names of its values, in order. */
interface Prepared { name: string, sql: string, params: string[], sqlite?: Statement }

const control = (word: string): Prepared => ({ name: word, sql: word, params: [] })
const BEGIN = control('begin')
const COMMIT = control('commit')
const ROLLBACK = control('rollback')

const MARK = '\u0000'
const v = (name: string): string => `${MARK}${name}`

function prepare (name: string, query: Compilable): Prepared {
  const compiled = query.compile()
  const params = compiled.parameters.map((p) => {
    if (typeof p !== 'string' || !p.startsWith(MARK)) throw new Error(`statement ${name}: a value without a marker`)
    return p.slice(MARK.length)
  })
  return { name, sql: compiled.sql, params }
}

const BUILD_COLUMNS = ['id', 'plan_id', 'build_index', 'status', 'detail', 'start_time', 'end_time',
  'jenkins_build_number', 'jenkins_url'] as const
const STAGE_COLUMNS = ['stage_id', 'name', 'pre_stage_ids', 'status', 'detail', 'start_time', 'end_time'] as const
const STAGE_VALUES = ['build_id', ...STAGE_COLUMNS] as const
const STAGE_CHANGES = ['pre_stage_ids', 'status', 'detail', 'start_time', 'end_time'] as const
const EVENT_VALUES = ['build_id', 'plan_id', 'product_id', 'build_index', 'stage_name', 'status', 'source', 'detail',
  'time'] as const

interface Statements {
  mysql: boolean
  lock: Prepared
  stagePatch: Prepared
  buildPatch: Prepared
  planList: Prepared
  /** by how many stage names and StageIDs they read */
  stageReads: Map<string, Prepared>
  /** by row count */
  stageInserts: Map<number, Prepared>
  eventInserts: Map<number, Prepared>
  db: Db
}

const BY_ADAPTER = new WeakMap<DialectAdapter, Statements>()

function statementsFor (db: Db): Statements {
  const adapter = db.getExecutor().adapter
  let s = BY_ADAPTER.get(adapter)
  if (s == null) {
    const mysql = adapter instanceof MysqlAdapter
    s = {
      mysql,
      db,
      // The build with its product (its events carry it) and highest StageID. The row lock serialises
      // writers of one build (on SQLite BEGIN IMMEDIATE took the write lock); on MySQL the subqueries
      // are plain reads evaluated once the row is locked, so they see what the previous holder committed.
      lock: prepare('select builds (lock)', db.selectFrom('builds as b')
        .select(BUILD_COLUMNS.map((c) => `b.${c}` as const))
        .select((eb) => [
          eb.selectFrom('plans').select('product_id').whereRef('plans.id', '=', 'b.plan_id').as('product_id'),
          eb.selectFrom('stages').select((e) => e.fn.max('stage_id').as('m')).whereRef('stages.build_id', '=', 'b.id')
            .as('last_stage_id')
        ])
        .where('b.plan_id', '=', v('planId') as never).where('b.build_index', '=', v('buildIndex') as never)
        .$if(mysql, (q) => q.forUpdate())),
      stagePatch: prepare('update stages', db.updateTable('stages')
        .set(Object.fromEntries(STAGE_CHANGES.map((c) => [c, v(c)])))
        .where('build_id', '=', v('build_id') as never).where('name', '=', v('name'))),
      buildPatch: prepare('update builds', db.updateTable('builds').set((eb) => ({
        status: v('status'),
        detail: v('detail'),
        start_time: v('start_time') as never,
        end_time: v('end_time') as never,
        jenkins_build_number: v('jenkins_build_number') as never,
        jenkins_url: v('jenkins_url'),
        // the Stage/info and Build/info caches are keyed by it
        revision: eb('revision', '+', sql.lit(1))
      })).where('id', '=', v('id') as never)),
      planList: prepare('update plans', db.updateTable('plans')
        .set((eb) => ({ list_version: eb('list_version', '+', sql.lit(1)) })).where('id', '=', v('plan_id') as never)),
      stageReads: new Map(),
      stageInserts: new Map(),
      eventInserts: new Map()
    }
    BY_ADAPTER.set(adapter, s)
  }
  return s
}

/** Compiled once for each size; sizes are bounded (stages per build, events per write), so is the cache. */
function sized (cache: Map<string | number, Prepared>, key: string | number, make: () => Prepared): Prepared {
  let p = cache.get(key)
  if (p == null) {
    if (cache.size >= 2000) cache.clear()
    p = make()
    cache.set(key, p)
  }
  return p
}

/**
 * The stages the updates name (as stage or predecessor), by name or StageID. On MySQL it rides in
 * the lock's request, so it finds the build by its key; SQLite, which is given the id, would scan
 * the build's stages for the subquery.
 */
function stageRead (s: Statements, names: number, ids: number): Prepared {
  return sized(s.stageReads as Map<string | number, Prepared>, `${names}/${ids}`, () => {
    const nameMarks = Array.from({ length: names }, (_, i) => v(`name${i}`))
    const idMarks = Array.from({ length: ids }, (_, i) => v(`id${i}`))
    const buildId = s.mysql
      ? s.db.selectFrom('builds').select('id')
        .where('plan_id', '=', v('planId') as never).where('build_index', '=', v('buildIndex') as never)
      : v('buildId') as never
    const q = s.db.selectFrom('stages').select(STAGE_COLUMNS).where('build_id', '=', buildId).where((eb) => eb.or([
      ...(names > 0 ? [eb('name', 'in', nameMarks)] : []),
      ...(ids > 0 ? [eb('stage_id', 'in', idMarks as never[])] : [])
    ]))
    return prepare('select stages', q)
  })
}

function stageInsert (s: Statements, rows: number): Prepared {
  return sized(s.stageInserts, rows, () => {
    const marks = Array.from({ length: rows },
      (_, i) => Object.fromEntries(STAGE_VALUES.map((c) => [c, v(`${c}${i}`)])))
    return prepare('insert stages', s.db.insertInto('stages').values(marks as never))
  })
}

function eventInsert (s: Statements, rows: number): Prepared {
  return sized(s.eventInserts, rows, () => {
    const marks = Array.from({ length: rows },
      (_, i) => Object.fromEntries(EVENT_VALUES.map((c) => [c, v(`${c}${i}`)])))
    return prepare('insert events', s.db.insertInto('events').values(marks as never))
  })
}

// ---- reading the state ----

type Row = Record<string, unknown>

/** The stage read and its values; none when the updates name no stage (a build's own status). */
function stageReadOf (s: Statements, key: BuildKey, buildId: unknown, refs: StageRefs): Array<[Prepared, Row]> {
  if (refs.names.length + refs.ids.length === 0) return []
  const args: Row = { ...key, buildId }
  refs.names.forEach((n, i) => { args[`name${i}`] = n })
  refs.ids.forEach((id, i) => { args[`id${i}`] = id })
  return [[stageRead(s, refs.names.length, refs.ids.length), args]]
}

function toState (key: BuildKey, row: Row | undefined, rows: Row[]): ProgressState {
  if (row == null) throw notFound(`build ${key.buildIndex} of plan ${key.planId}`)
  const { last_stage_id: last, ...build } = row
  const stages = new Map<string, StageState>()
  for (const r of rows) stages.set(r.name as string, r as unknown as StageState)
  return {
    build: { ...build, product_id: Number(build.product_id) } as unknown as BuildState,
    stages,
    lastStageId: Number(last ?? 0)
  }
}

const argv = (p: Prepared, args: Row): unknown[] => p.params.map((n) => args[n] ?? null)

function sqliteStatement (raw: SqliteDatabase, p: Prepared): Statement {
  p.sqlite ??= raw.prepare(p.sql)
  onStatement?.(p.name)
  return p.sqlite
}

function loadSync (s: Statements, raw: SqliteDatabase, key: BuildKey, refs: StageRefs): ProgressState {
  const build = sqliteStatement(raw, s.lock).get(...argv(s.lock, { ...key })) as Row | undefined
  if (build == null) return toState(key, build, [])
  const read = stageReadOf(s, key, build.id, refs)[0]
  return toState(key, build, read == null ? [] : sqliteStatement(raw, read[0]).all(...argv(...read)) as Row[])
}

// ---- MySQL/MariaDB: group commit in two round trips ----

/**
 * On MySQL/MariaDB a write's cost is its round trips (a write to the socket, a wake-up of the
 * server), so the writes that arrive in one turn of the event loop share one transaction in two
 * requests: begin, then every build they name locked and read, in key order (a fixed lock order, so
 * two processes' groups never deadlock); then the writes of every build and the commit. Writes to the
 * same build are decided in arrival order, each on the state the one before left. A refused write
 * refuses only itself; if the group fails (a deadlock with another kind of writer, a database error),
 * it is rolled back and each write runs again in a transaction of its own.
 */
class MysqlCommitGroup {
  private queue: Job[] = []
  private inFlight = 0

  constructor (private readonly pool: Pool, private readonly s: Statements) {}

  add (job: Job): void {
    this.queue.push(job)
    if (this.queue.length === 1 && this.inFlight < GROUPS_IN_FLIGHT) setImmediate(this.flush)
  }

  // never rejects: every error is its jobs' answer
  private readonly flush = async (): Promise<void> => {
    const jobs = this.queue
    this.queue = []
    if (jobs.length === 0) return
    this.inFlight++
    try {
      await this.run(jobs)
    } catch (err) {
      // a write alone has had its transaction: its error is its answer
      if (jobs.length === 1) jobs[0].reject(err)
      else for (const job of jobs) await this.alone(job)
    } finally {
      this.inFlight--
      if (this.queue.length > 0) setImmediate(this.flush)
    }
  }

  private async alone (job: Job): Promise<void> {
    try { await this.run([job]) } catch (err) { job.reject(err) }
  }

  /** One transaction for `jobs`; throws (having rolled back) when the transaction fails, answering no one. */
  private async run (jobs: Job[]): Promise<void> {
    const builds = byBuild(jobs)
    const conn = await new Promise<PoolConnection>((resolve, reject) => {
      this.pool.getConnection((err, c) => { if (err != null) reject(err); else resolve(c) })
    })
    let open = true
    let broken = false
    try {
      const reads: Array<[Prepared, Row]> = [[BEGIN, {}]]
      const at: Array<{ lock: number, stages?: number }> = []
      for (const { key, refs } of builds) {
        const stageRead = stageReadOf(this.s, key, null, refs)
        at.push({ lock: reads.length, ...(stageRead.length > 0 ? { stages: reads.length + 1 } : {}) })
        reads.push([this.s.lock, { ...key }], ...stageRead)
      }
      const results = await batch(conn, reads)
      const answers = new Map<Job, { ok: true, answer: unknown } | { ok: false, err: unknown }>()
      const out: Array<[Prepared, Row]> = []
      builds.forEach(({ key, jobs: own }, i) => {
        const { lock, stages } = at[i]
        let before: ProgressState
        try {
          before = toState(key, results[lock][0], stages == null ? [] : results[stages])
        } catch (err) {
          for (const job of own) answers.set(job, { ok: false, err })
          return
        }
        let state = before
        const events: ProgressEvent[] = []
        for (const job of own) {
          try {
            const { outcome, answer } = job.decide(state)
            state = outcome.after
            for (const e of outcome.events) events.push({ ...e, at: outcome.now })
            answers.set(job, { ok: true, answer })
          } catch (err) {
            answers.set(job, { ok: false, err })
          }
        }
        out.push(...writes(this.s, { before, after: state, events, now: Date.now() }))
      })
      await batch(conn, [...out, [COMMIT, {}]])
      open = false
      onCommit?.(jobs.length)
      for (const job of jobs) {
        const a = answers.get(job)
        if (a?.ok === true) job.resolve(a.answer); else job.reject(a?.ok === false ? a.err : new Error('no answer'))
      }
    } catch (err) {
      if (open) await batch(conn, [[ROLLBACK, {}]]).catch(() => { broken = true })
      throw err
    } finally {
      if (broken) conn.destroy()
      else conn.release()
    }
  }
}

/** The jobs by build, builds in key order, each build's jobs in arrival order, with the stages they all name. */
function byBuild (jobs: Job[]): Array<{ key: BuildKey, refs: StageRefs, jobs: Job[] }> {
  const builds = new Map<string, { key: BuildKey, names: Set<string>, ids: Set<number>, jobs: Job[] }>()
  for (const job of jobs) {
    const id = `${job.key.planId}/${job.key.buildIndex}`
    let b = builds.get(id)
    if (b == null) builds.set(id, b = { key: job.key, names: new Set(), ids: new Set(), jobs: [] })
    for (const n of job.refs.names) b.names.add(n)
    for (const i of job.refs.ids) b.ids.add(i)
    b.jobs.push(job)
  }
  return [...builds.values()]
    .sort((a, b) => a.key.planId - b.key.planId || a.key.buildIndex - b.key.buildIndex)
    .map((b) => ({ key: b.key, refs: { names: [...b.names], ids: [...b.ids] }, jobs: b.jobs }))
}

/**
 * Groups under way at once: with two, one group's reads overlap the other's writes and commit; more
 * make every group smaller (Build/update at 50 connections on MariaDB, same machine: 1 group in flight
 * 2,406 req/s, 2 3,760, 3 3,496–3,556, 5 3,317, unbounded 3,022 with groups of ~3 writes).
 */
const GROUPS_IN_FLIGHT = 2

/** Runs the statements as one request; answers each one's rows. */
async function batch (conn: PoolConnection, items: Array<[Prepared, Row]>): Promise<Row[][]> {
  for (const [p] of items) if (p !== BEGIN && p !== COMMIT && p !== ROLLBACK) onStatement?.(p.name)
  const text = items.map(([p]) => p.sql).join(';\n')
  const values = items.flatMap(([p, args]) => argv(p, args))
  const results = await new Promise<unknown>((resolve, reject) => {
    conn.query(text, values, (err, r) => { if (err != null) reject(err); else resolve(r) })
  })
  const each = items.length === 1 ? [results] : results as unknown[]
  return each.map((r) => Array.isArray(r) ? r as Row[] : [])
}

// ---- writing the outcome ----

/** The statements an outcome needs, with their values: nothing when nothing changed. */
function writes (s: Statements, o: ProgressOutcome): Array<[Prepared, Row]> {
  if (o.events.length === 0) return []
  const out: Array<[Prepared, Row]> = []
  const { build: b0 } = o.before
  const b1 = o.after.build
  const created: StageState[] = []
  let stagesChanged = false
  for (const st of o.after.stages.values()) {
    const was = o.before.stages.get(st.name)
    // a changed stage is updated by its name; a StageID taken twice would fail on the unique key
    if (was == null) created.push(st)
    else if (st !== was) out.push([s.stagePatch, { ...st, build_id: b1.id }])
    stagesChanged ||= st !== was
  }
  if (created.length > 0) {
    const args: Row = {}
    created.forEach((st, i) => {
      args[`build_id${i}`] = b1.id
      for (const c of STAGE_COLUMNS) args[`${c}${i}`] = st[c]
    })
    out.push([stageInsert(s, created.length), args])
  }
  out.push([s.buildPatch, b1 as unknown as Row]) // the revision moves with every change
  // Build/list shows status and times: its version moves with them; the plan's history (Stage/stats,
  // medians, estimates) reads the stages of ended builds, so a stage result arriving after its build
  // ended moves it too
  if (b1.status !== b0.status || b1.start_time !== b0.start_time || b1.end_time !== b0.end_time ||
    (stagesChanged && isTerminal(b1.status))) {
    out.push([s.planList, b1 as unknown as Row])
  }
  const args: Row = {}
  o.events.forEach((e, i) => {
    Object.assign(args, {
      [`build_id${i}`]: b1.id,
      [`plan_id${i}`]: b1.plan_id,
      [`product_id${i}`]: b1.product_id,
      [`build_index${i}`]: b1.build_index,
      [`stage_name${i}`]: e.stageName,
      [`status${i}`]: e.status,
      [`source${i}`]: e.source,
      [`detail${i}`]: JSON.stringify(e.detail ?? {}),
      [`time${i}`]: e.at ?? o.now
    })
  })
  out.push([eventInsert(s, o.events.length), args])
  return out
}

function writeSync (s: Statements, raw: SqliteDatabase, o: ProgressOutcome): void {
  for (const [p, args] of writes(s, o)) sqliteStatement(raw, p).run(...argv(p, args))
}
