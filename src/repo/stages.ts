import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { Status } from '../status.js'

export interface Stage {
  StageID: number
  StageName: string
  PreStageID: number[]
  Status: Status
  Detail: Record<string, unknown>
  StartTime: number | null
  EndTime: number | null
}

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
