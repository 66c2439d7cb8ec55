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

/** A stage as the poller and the OTLP receiver compare it with Jenkins: Detail's node id and queue reason read out. */
export interface StoredStage {
  name: string
  status: string
  start_time: number | null
  end_time: number | null
  /** Detail.JenkinsNodeID */
  nodeId: string | null
  /** Detail.QueueReason */
  queueReason: unknown
  /** Detail.Error: Jenkins' error message of a failed stage */
  error?: unknown
}

/** The stages of a build, as compared with what Jenkins reports. */
export async function storedStages (db: Db, buildId: number): Promise<StoredStage[]> {
  const rows = await db
    .selectFrom('stages')
    .select(['name', 'status', 'start_time', 'end_time', 'detail'])
    .where('build_id', '=', buildId)
    .execute()
  return rows.map(({ detail, ...s }) => {
    const d = JSON.parse(detail) as { JenkinsNodeID?: unknown, QueueReason?: unknown, Error?: unknown }
    const nodeId = d.JenkinsNodeID == null ? null : String(d.JenkinsNodeID as string)
    return { ...s, nodeId, queueReason: d.QueueReason ?? null, error: d.Error ?? null }
  })
}
