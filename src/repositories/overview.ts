import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { Status } from '../status.js'
import { notFound } from '../errors.js'
import type { JenkinsParameter } from '../schemas/build.js'

type Db = Kysely<Database>

const ACTIVE = ['Queued', 'Running', 'Paused']
const FAILED = ['Fail', 'Unstable']

/**
 * What validates the overview: every plan's list version moves with each change the overview shows
 * (a new build, a status, a time) and only grows, so their sum moves whenever one does; a deleted
 * plan or a renamed product moves the catalog.
 */
export async function overviewVersion (db: Db): Promise<string> {
  const row = await db.selectFrom('plans')
    .select((eb) => [eb.fn.sum<number>('list_version').as('sum'), eb.fn.countAll<number>().as('n'),
      eb.selectFrom('read_versions').select('version').where('name', '=', 'catalog').as('catalog')])
    .executeTakeFirstOrThrow()
  return `${String(row.sum ?? 0)}.${String(row.n)}.${String(row.catalog ?? 0)}`
}

export interface OverviewBuild {
  ProductID: number
  ProductName: string
  DevOpsPlanID: number
  PlanName: string
  BuildIndex: number
  Status: Status
  CreateTime: number
  StartTime: number | null
  EndTime: number | null
  JenkinsName: string | null
  StartedBy: string | null
  Cause: string | null
}

const BUILD_COLUMNS = ['products.id as ProductID', 'products.name as ProductName', 'plans.id as DevOpsPlanID',
  'plans.name as PlanName', 'builds.build_index as BuildIndex', 'builds.status as Status',
  'builds.create_time as CreateTime', 'builds.start_time as StartTime', 'builds.end_time as EndTime',
  'builds.jenkins_name as JenkinsName', 'builds.started_by as StartedBy', 'builds.cause as Cause'] as const

export type LastBuild = Omit<OverviewBuild, 'ProductID' | 'ProductName' | 'DevOpsPlanID' | 'PlanName'>
export type OverviewPlan = Pick<
  OverviewBuild,
  'ProductID' | 'ProductName' | 'DevOpsPlanID' | 'PlanName' | 'JenkinsName'
> & { JobName: string | null, Active: number, LastBuild: LastBuild | null }

/** A build not ended, with what its estimate needs: its row id and its plan's list version. */
export type RunningBuild = OverviewBuild & { id: number, listVersion: number }

/** Every plan with its latest build and running count; the builds not ended; the latest failures. */
export async function overview (db: Db, failures: number):
Promise<{ plans: OverviewPlan[], running: RunningBuild[], failed: OverviewBuild[] }> {
  const joined = () => db.selectFrom('builds')
    .innerJoin('plans', 'plans.id', 'builds.plan_id')
    .innerJoin('products', 'products.id', 'plans.product_id')
  const [plans, last, active, running, failed] = await Promise.all([
    db
      .selectFrom('plans')
      .innerJoin('products', 'products.id', 'plans.product_id')
      .select([
        'products.id as ProductID',
        'products.name as ProductName',
        'plans.id as DevOpsPlanID',
        'plans.name as PlanName',
        'plans.job_name as JobName',
        'plans.jenkins_name as JenkinsName'
      ])
      .orderBy('products.id')
      .orderBy('plans.id')
      .execute(),
    // the newest build of each plan is the one holding its counter: one indexed lookup per plan
    joined()
      .select([...BUILD_COLUMNS])
      .whereRef('builds.build_index', '=', 'plans.last_build_index')
      .execute(),
    db
      .selectFrom('builds')
      .select(['plan_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ACTIVE)
      .groupBy('plan_id')
      .execute(),
    joined()
      .select([...BUILD_COLUMNS, 'builds.id as id', 'plans.list_version as listVersion'])
      .where('builds.status', 'in', ACTIVE)
      .orderBy('builds.create_time', 'desc')
      .orderBy('builds.id', 'desc')
      .limit(200)
      .execute(),
    joined()
      .select([...BUILD_COLUMNS])
      .where('builds.status', 'in', FAILED)
      .orderBy('builds.end_time', 'desc')
      .orderBy('builds.id', 'desc')
      .limit(failures)
      .execute()
  ])
  const lastOf = new Map(last.map((b) => [b.DevOpsPlanID, b]))
  const activeOf = new Map(active.map((a) => [a.plan_id, Number(a.n)]))
  return {
    plans: plans.map((p) => {
      const b = lastOf.get(p.DevOpsPlanID)
      return {
        ...p,
        Active: activeOf.get(p.DevOpsPlanID) ?? 0,
        LastBuild: b == null
          ? null
          : {
              BuildIndex: b.BuildIndex,
              Status: b.Status as Status,
              CreateTime: b.CreateTime,
              StartTime: b.StartTime,
              EndTime: b.EndTime,
              JenkinsName: b.JenkinsName,
              StartedBy: b.StartedBy,
              Cause: b.Cause
            }
      }
    }),
    running: running as RunningBuild[],
    failed: failed as OverviewBuild[]
  }
}

/** Which builds a grid shows: a page of `last` builds, newest first, as Build/list pages them (with its Status). */
export interface GridPage { last: number, page: number, status?: Status }

function gridBuilds (db: Db, planId: number, { last, page, status }: GridPage) {
  let q = db.selectFrom('builds').where('plan_id', '=', planId)
  if (status != null) q = q.where('status', '=', status)
  return q.orderBy('build_index', 'desc').limit(last).offset((page - 1) * last)
}

/**
 * The grid's builds (newest first) with their revisions: what validates the grid's
 * cache, since a stage change bumps its build's revision but not the plan's list version.
 */
export async function gridVersion (db: Db, planId: number, page: GridPage): Promise<string | null> {
  const plan = await db.selectFrom('plans').select('list_version').where('id', '=', planId).executeTakeFirst()
  if (plan == null) return null
  const rows = await gridBuilds(db, planId, page).select(['id', 'revision']).execute()
  return `${String(plan.list_version)}:${rows.map((r) => `${r.id}.${r.revision}`).join(',')}`
}

export interface GridStage {
  StageID: number
  StageName: string
  PreStageID: number[]
  Status: Status
  StartTime: number | null
  EndTime: number | null
}

/** The plan's last builds, newest first, each with its stages (without Detail: the grid shows no more). */
export async function planGrid (db: Db, planId: number, page: GridPage): Promise<Array<{
  BuildIndex: number,
  Status: Status,
  CreateTime: number,
  StartTime: number | null,
  EndTime: number | null,
  Parameter: JenkinsParameter[],
  StageList: GridStage[]
}>> {
  const plan = await db.selectFrom('plans').select('id').where('id', '=', planId).executeTakeFirst()
  if (plan == null) throw notFound('plan')
  const builds = await gridBuilds(db, planId, page)
    .select(['id', 'build_index', 'status', 'create_time', 'start_time', 'end_time', 'parameter']).execute()
  const stages =
    builds.length === 0
      ? []
      : await db
        .selectFrom('stages')
        .select(['build_id', 'stage_id', 'name', 'pre_stage_ids', 'status', 'start_time', 'end_time'])
        .where(
          'build_id',
          'in',
          builds.map((b) => b.id)
        )
        .orderBy('build_id')
        .orderBy('stage_id')
        .execute()
  const byBuild = new Map<number, GridStage[]>()
  for (const s of stages) {
    const list = byBuild.get(s.build_id) ?? []
    list.push({
      StageID: s.stage_id,
      StageName: s.name,
      PreStageID: JSON.parse(s.pre_stage_ids) as number[],
      Status: s.status as Status,
      StartTime: s.start_time,
      EndTime: s.end_time
    })
    byBuild.set(s.build_id, list)
  }
  return builds.map((b) => ({
    BuildIndex: b.build_index,
    Status: b.status as Status,
    CreateTime: b.create_time,
    StartTime: b.start_time,
    EndTime: b.end_time,
    Parameter: (JSON.parse(b.parameter) as { parameter: JenkinsParameter[] }).parameter,
    StageList: byBuild.get(b.id) ?? []
  }))
}
