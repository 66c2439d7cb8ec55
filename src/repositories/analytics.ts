import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'

type Db = Kysely<Database>

/** One stage of one build, as stored. */
export interface StageRun {
  name: string
  status: string
  start_time: number | null
  end_time: number | null
  /** JSON array of StageIDs, with stage_id: how the stages of a build form a graph */
  stage_id?: number
  pre_stage_ids?: string
}

/** One build and its stages. */
export interface BuildRuns { buildIndex: number, stages: StageRun[] }

const ENDED = ['Pass', 'Fail', 'Unstable', 'Aborted', 'Skipped']
const STAGE_COLUMNS = ['build_id', 'stage_id', 'name', 'status', 'start_time', 'end_time', 'pre_stage_ids'] as const

/** The plan's last `last` builds with these statuses (highest BuildIndex), with their stages, oldest first. */
async function lastBuildsWithStages (db: Db, planId: number, statuses: string[], last: number): Promise<BuildRuns[]> {
  const builds = await db.selectFrom('builds').select(['id', 'build_index'])
    .where('plan_id', '=', planId).where('status', 'in', statuses)
    .orderBy('build_index', 'desc').limit(last).execute()
  if (builds.length === 0) return []
  const rows = await db.selectFrom('stages').select(STAGE_COLUMNS)
    .where('build_id', 'in', builds.map((b) => b.id)).orderBy('build_id').orderBy('stage_id').execute()
  const byBuild = new Map<number, StageRun[]>(builds.map((b) => [b.id, []]))
  for (const r of rows) byBuild.get(r.build_id)?.push(r)
  return builds.reverse().map((b) => ({ buildIndex: b.build_index, stages: byBuild.get(b.id) ?? [] }))
}

/** Stage/stats' input: the plan's last `last` ended builds (any source), oldest first. */
export async function lastEndedBuilds (db: Db, planId: number, last: number): Promise<BuildRuns[]> {
  return await lastBuildsWithStages(db, planId, ENDED, last)
}

/** The estimate's input: the plan's last `last` passed builds, newest first. */
export async function lastPassedBuilds (db: Db, planId: number, last: number): Promise<BuildRuns[]> {
  return (await lastBuildsWithStages(db, planId, ['Pass'], last)).reverse()
}

/** The stages of several builds, by build id: the estimates of a page of running builds in one read. */
export async function stageRunsOf (db: Db, buildIds: number[]): Promise<Map<number, StageRun[]>> {
  const byBuild = new Map<number, StageRun[]>(buildIds.map((id) => [id, []]))
  if (buildIds.length === 0) return byBuild
  const rows = await db.selectFrom('stages').select(STAGE_COLUMNS).where('build_id', 'in', buildIds)
    .orderBy('build_id').orderBy('stage_id').execute()
  for (const r of rows) byBuild.get(r.build_id)?.push(r)
  return byBuild
}

/** The stages of one build with their graph (what the estimate walks). */
export async function stageRuns (db: Db, buildId: number): Promise<StageRun[]> {
  return await db.selectFrom('stages').select(STAGE_COLUMNS).where('build_id', '=', buildId)
    .orderBy('stage_id').execute()
}
