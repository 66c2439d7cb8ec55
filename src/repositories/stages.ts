import type { Insertable, Kysely, Selectable, Updateable } from 'kysely'
import type { Database, StageTable } from '../../db/schema.js'
import type { Status } from '../status.js'
import type { Stage } from '../schemas/stage.js'

export async function listStages (db: Kysely<Database>, buildId: number): Promise<Stage[]> {
  const rows = await db.selectFrom('stages').selectAll().where('build_id', '=', buildId).orderBy('stage_id').execute()
  return rows.map((r) => ({
    StageID: r.stage_id,
    StageName: r.name,
    PreStageID: JSON.parse(r.pre_stage_ids) as number[],
    Status: r.status as Status,
    Detail: JSON.parse(r.detail) as Record<string, unknown>,
    StartTime: r.start_time,
    EndTime: r.end_time
  }))
}

type Db = Kysely<Database>
export type StageRecord = Selectable<StageTable>

/** One stage of a build by name (the write path reads it inside its transaction). */
export async function findStage (db: Db, buildId: number, name: string): Promise<StageRecord | undefined> {
  return await db
    .selectFrom('stages')
    .selectAll()
    .where('build_id', '=', buildId)
    .where('name', '=', name)
    .executeTakeFirst()
}

/** The build's highest StageID, 0 when it has none. StageIDs run 1..N and stages are never deleted, so it is also their
 * count.
 */
export async function lastStageId (db: Db, buildId: number): Promise<number> {
  const r = await db
    .selectFrom('stages')
    .select((eb) => eb.fn.max('stage_id').as('last'))
    .where('build_id', '=', buildId)
    .executeTakeFirst()
  return Number(r?.last ?? 0)
}

/** A stage as the write path resolves PreStageID and PreStageName. */
type StageRef = { stage_id: number, name: string }

export async function stagesByIds (db: Db, buildId: number, ids: number[]): Promise<StageRef[]> {
  if (ids.length === 0) return []
  return await db.selectFrom('stages').select(['stage_id', 'name'])
    .where('build_id', '=', buildId).where('stage_id', 'in', ids).execute()
}

export async function stagesByNames (db: Db, buildId: number, names: string[]): Promise<StageRef[]> {
  if (names.length === 0) return []
  return await db.selectFrom('stages').select(['stage_id', 'name'])
    .where('build_id', '=', buildId).where('name', 'in', names).execute()
}

/** Name, status, times and Detail of each stage: what the poller compares with Jenkins (Detail holds the node id). */
export async function stageStates (
  db: Db,
  buildId: number
): Promise<
  Array<{ name: string, status: string, start_time: number | null, end_time: number | null, detail: string }>
> {
  return await db
    .selectFrom('stages')
    .select(['name', 'status', 'start_time', 'end_time', 'detail'])
    .where('build_id', '=', buildId)
    .execute()
}

export async function insertStage (db: Db, row: Insertable<StageTable>): Promise<void> {
  await db.insertInto('stages').values(row).execute()
}

export async function updateStage (db: Db, id: number, set: Updateable<StageTable>): Promise<void> {
  await db.updateTable('stages').set(set).where('id', '=', id).execute()
}
