import { type Kysely, MysqlAdapter } from 'kysely'
import type { Database } from '../../db/schema.js'
import { notFound } from '../errors.js'

type Db = Kysely<Database>

export interface StageLogRow { error: string, log: string, truncated: boolean }

/** The stages of a build named `names` that have no captured log yet. */
export async function stagesWithoutLog (db: Db, buildId: number, names: string[]): Promise<Array<{ stage_id: number, name: string }>> {
  if (names.length === 0) return []
  return await db.selectFrom('stages')
    .leftJoin('stage_logs', (j) => j.onRef('stage_logs.build_id', '=', 'stages.build_id').onRef('stage_logs.stage_id', '=', 'stages.stage_id'))
    .select(['stages.stage_id', 'stages.name'])
    .where('stages.build_id', '=', buildId).where('stages.name', 'in', names).where('stage_logs.stage_id', 'is', null)
    .execute()
}

/** Stores a stage's capture; a stage captured already keeps its first one (another process may have been quicker). */
export async function saveStageLog (db: Db, buildId: number, stageId: number, log: StageLogRow & { source: string }): Promise<void> {
  const row = {
    build_id: buildId,
    stage_id: stageId,
    error: log.error,
    log: log.log,
    truncated: log.truncated ? 1 : 0,
    source: log.source,
    captured_at: Math.floor(Date.now() / 1000)
  }
  const insert = db.insertInto('stage_logs').values(row)
  if (db.getExecutor().adapter instanceof MysqlAdapter) await insert.ignore().execute()
  else await insert.onConflict((oc) => oc.doNothing()).execute()
}

/**
 * A stage's captured error and log excerpt: empty strings when nothing was captured (it did not
 * fail, or Jenkins had none). NotFound when the build or the stage does not exist.
 */
export async function findStageLog (db: Db, planId: number, buildIndex: number, stageId: number): Promise<StageLogRow> {
  const row = await db.selectFrom('builds')
    .leftJoin('stages', (j) => j.onRef('stages.build_id', '=', 'builds.id').on('stages.stage_id', '=', stageId))
    .leftJoin('stage_logs', (j) => j.onRef('stage_logs.build_id', '=', 'builds.id').on('stage_logs.stage_id', '=', stageId))
    .select(['stages.id as stage', 'stage_logs.error', 'stage_logs.log', 'stage_logs.truncated'])
    .where('builds.plan_id', '=', planId).where('builds.build_index', '=', buildIndex)
    .executeTakeFirst()
  if (row == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  if (row.stage == null) throw notFound(`stage ${stageId} of build ${buildIndex} of plan ${planId}`)
  return { error: row.error ?? '', log: row.log ?? '', truncated: row.truncated === 1 }
}
