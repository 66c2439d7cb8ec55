import type { Kysely, Selectable } from 'kysely'
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
