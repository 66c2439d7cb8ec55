import type { Kysely, Selectable } from 'kysely'
import type { BuildTable, Database } from '../../db/schema.js'
import { notFound } from '../errors.js'
import type { Status } from '../status.js'
import { now } from './db-errors.js'

type Db = Kysely<Database>
export type BuildRow = Selectable<BuildTable>
/** A build without its parameters: they may be large, and only Build/info reads them. */
export type TrackedBuild = Omit<BuildRow, 'parameter'>
export const TRACKED_COLUMNS = ['id', 'plan_id', 'build_index', 'status', 'job_name', 'detail', 'queue_id', 'jenkins_build_number',
  'jenkins_url', 'create_time', 'start_time', 'end_time', 'jenkins_name', 'poll_after', 'poll_token', 'poll_errors',
  'cancel_requested', 'revision'] as const satisfies ReadonlyArray<keyof TrackedBuild>

export interface JenkinsParameter { name: string, value: string }

export interface BuildListItem { BuildIndex: number, Status: string, StartTime: number | null, CreateTime: number, EndTime: number | null }

/**
 * Records a new Queued build under the next BuildIndex of the plan. The counter row is bumped
 * first inside the transaction: on MySQL that row lock, on SQLite the write lock, serialises
 * concurrent callers across processes, so indexes have no gap and no duplicate.
 */
export async function recordBuild (db: Db, planId: number, jobName: string, jenkinsName: string | null,
  parameters: (index: number) => JenkinsParameter[]): Promise<{ id: number, buildIndex: number, parameter: JenkinsParameter[] }> {
  return await db.transaction().execute(async (trx) => {
    const bumped = await trx.updateTable('plans').set((eb) => ({ last_build_index: eb('last_build_index', '+', 1) }))
      .where('id', '=', planId).executeTakeFirst()
    if (Number(bumped.numUpdatedRows) === 0) throw notFound('plan')
    const { last_build_index: buildIndex } = await trx.selectFrom('plans').select('last_build_index')
      .where('id', '=', planId).executeTakeFirstOrThrow()
    const parameter = parameters(buildIndex)
    const r = await trx.insertInto('builds').values({
      plan_id: planId,
      build_index: buildIndex,
      status: 'Queued',
      job_name: jobName,
      jenkins_name: jenkinsName,
      parameter: JSON.stringify({ parameter }),
      detail: '{}',
      create_time: now()
    }).executeTakeFirstOrThrow()
    return { id: Number(r.insertId), buildIndex, parameter }
  })
}

export async function findBuild (db: Db, planId: number, buildIndex: number): Promise<TrackedBuild> {
  const build = await db.selectFrom('builds').select(TRACKED_COLUMNS)
    .where('plan_id', '=', planId).where('build_index', '=', buildIndex).executeTakeFirst()
  if (build == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  return build
}

/** The whole build, parameters included (Build/info). */
export async function findBuildWithParameters (db: Db, planId: number, buildIndex: number): Promise<BuildRow> {
  const build = await db.selectFrom('builds').selectAll()
    .where('plan_id', '=', planId).where('build_index', '=', buildIndex).executeTakeFirst()
  if (build == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  return build
}

export async function listBuilds (db: Db, planId: number, status: Status | undefined, page: number, size: number):
Promise<{ total: number, list: BuildListItem[] } | null> {
  let q = db.selectFrom('builds').where('plan_id', '=', planId)
  if (status != null) q = q.where('status', '=', status)
  const [plan, counted, list] = await Promise.all([
    db.selectFrom('plans').select('last_build_index').where('id', '=', planId).executeTakeFirst(),
    // without a filter the count is the plan's counter: indexes run 1..N with no gap and builds are never deleted
    status == null ? undefined : q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    q.select(['build_index as BuildIndex', 'status as Status', 'start_time as StartTime', 'create_time as CreateTime', 'end_time as EndTime'])
      .orderBy('build_index', 'desc').limit(size).offset((page - 1) * size).execute()
  ])
  if (plan == null) return null
  return { total: Number(counted?.total ?? plan.last_build_index), list }
}

/** Jenkins accepted the trigger: remember the queue item so the poller can follow it. */
export async function markQueued (db: Db, id: number, queueId: number | null, note?: string): Promise<void> {
  const set: { queue_id: number | null, detail?: string } = { queue_id: queueId }
  if (note != null) set.detail = JSON.stringify({ Note: note })
  await db.updateTable('builds').set(set).where('id', '=', id).execute()
}

/** Jenkins refused or did not answer: the build stays on record as Fail with the reason. */
export async function markTriggerFailed (db: Db, id: number, reason: string): Promise<void> {
  await db.updateTable('builds').set({ status: 'Fail', end_time: now(), detail: JSON.stringify({ Reason: reason }) })
    .where('id', '=', id).execute()
}
