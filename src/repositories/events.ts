import { type Kysely, MysqlAdapter, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { notFound } from '../errors.js'
import { now } from '../lib/time.js'

type Db = Kysely<Database>

export type EventSource = 'api' | 'callback' | 'poller' | 'webhook' | 'cancel' | 'otlp'

/** The build an event belongs to, as the write path knows it. */
export interface EventBuild {
  id: number
  plan_id: number
  build_index: number
  /** when the caller has it: saves a read */ product_id?: number
}

export interface NewEvent { stageName: string, status: string, detail?: Record<string, unknown> }

/** A row as the stream sends it (docs/API.md: id + data without Detail). */
export interface StreamEvent {
  EventID: number
  ProductID: number
  DevOpsPlanID: number
  BuildIndex: number
  StageName: string
  Status: string
  Source: string
  Time: number
}

/** Appends the changes of one write, inside the caller's transaction. */
export async function appendEvents (
  trx: Db, build: EventBuild, source: EventSource, events: NewEvent[]
): Promise<void> {
  if (events.length === 0) return
  const productId =
    build.product_id ??
    (await trx.selectFrom('plans').select('product_id').where('id', '=', build.plan_id).executeTakeFirstOrThrow())
      .product_id
  const time = now()
  await trx
    .insertInto('events')
    .values(
      events.map((e) => ({
        build_id: build.id,
        plan_id: build.plan_id,
        product_id: productId,
        build_index: build.build_index,
        stage_name: e.stageName,
        status: e.status,
        source,
        detail: JSON.stringify(e.detail ?? {}),
        time
      }))
    )
    .execute()
}

/** One page of a build's history, oldest first. */
export async function listBuildEvents (
  db: Db,
  planId: number,
  buildIndex: number,
  afterId: number,
  size: number
): Promise<
  Array<{
    EventID: number
    Time: number
    Source: string
    StageName: string
    Status: string
    Detail: Record<string, unknown>
  }>
> {
  const build = await db
    .selectFrom('builds')
    .select('id')
    .where('plan_id', '=', planId)
    .where('build_index', '=', buildIndex)
    .executeTakeFirst()
  if (build == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  const rows = await db
    .selectFrom('events')
    .select(['id', 'time', 'source', 'stage_name', 'status', 'detail'])
    .where('build_id', '=', build.id)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(size)
    .execute()
  return rows.map((r) => ({
    EventID: Number(r.id),
    Time: Number(r.time),
    Source: r.source,
    StageName: r.stage_name,
    Status: r.status,
    Detail: JSON.parse(r.detail) as Record<string, unknown>
  }))
}

export interface StreamFilter { productId?: number, planId?: number, buildIndex?: number }

/**
 * The query of eventsAfter, exported so a test can ask the database how it runs it. A stream of one
 * build reads through events(build_id, id): by plan_id or build_index a page read every event of the
 * plan (or of the table) after its LastEventID.
 */
export function eventsAfterQuery (db: Db, afterId: number, limit: number, f: StreamFilter, buildIds?: number[]) {
  return db
    .selectFrom('events')
    .select(['id', 'product_id', 'plan_id', 'build_index', 'stage_name', 'status', 'source', 'time'])
    .where('id', '>', afterId)
    .$if(buildIds != null, (q) => q.where('build_id', 'in', buildIds as number[]))
    .$if(buildIds == null && f.productId != null, (q) => q.where('product_id', '=', f.productId as number))
    .$if(buildIds == null && f.planId != null, (q) => q.where('plan_id', '=', f.planId as number))
    .orderBy('id')
    .limit(limit)
}

/** Every event after `afterId` (all builds, or those matching `f`), oldest first, at most `limit`. */
export async function eventsAfter (
  db: Db,
  afterId: number,
  limit: number,
  f: StreamFilter = {}
): Promise<StreamEvent[]> {
  let buildIds: number[] | undefined
  if (f.buildIndex != null) {
    buildIds = (await db.selectFrom('builds').select('id')
      .where('build_index', '=', f.buildIndex)
      .$if(f.planId != null, (q) => q.where('plan_id', '=', f.planId as number))
      .$if(f.productId != null, (q) => q.where('plan_id', 'in', db.selectFrom('plans').select('id')
        .where('product_id', '=', f.productId as number)))
      .execute()).map((b) => b.id)
    if (buildIds.length === 0) return []
  }
  const rows = await eventsAfterQuery(db, afterId, limit, f, buildIds).execute()
  return rows.map((r) => ({
    EventID: Number(r.id),
    ProductID: r.product_id,
    DevOpsPlanID: r.plan_id,
    BuildIndex: r.build_index,
    StageName: r.stage_name,
    Status: r.status,
    Source: r.source,
    Time: Number(r.time)
  }))
}

/**
 * How event ids advance, for a tail that must not skip one: on MySQL/MariaDB ids are taken at
 * insert but become visible at commit, so a later id can be seen first (the answer is the
 * auto-increment step); on SQLite writers are serialised and ids appear in order (null).
 */
export async function eventIdStep (db: Db): Promise<number | null> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return null
  const r = await sql<{ step: number | string }>`select @@auto_increment_increment as step`.execute(db)
  return Number(r.rows[0]?.step ?? 1)
}

/** The newest EventID (0 when the table is empty): where a tailer starts. */
export async function lastEventId (db: Db): Promise<number> {
  const r = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst()
  return Number(r?.max ?? 0)
}
