import { type Kysely, type Selectable, sql } from 'kysely'
import type { BuildTable, Database } from '../../db/schema.js'
import { notFound } from '../errors.js'
import type { Status } from '../status.js'
import type { BuildInfo, BuildListItem, JenkinsParameter } from '../schemas/build.js'
import { now } from '../lib/time.js'
import { isUniqueViolation } from './db-errors.js'
import { appendEvents } from './events.js'
import { bumpPlanListOfBuild } from './read-versions.js'

type Db = Kysely<Database>
/** A whole row of `builds`, parameters included. */
export type BuildRecord = Selectable<BuildTable>
/** A build without its parameters: they may be large, and only Build/info reads them (nor its origin: request id,
 * source, cause).
 */
export type TrackedBuild = Omit<BuildRecord, 'parameter' | 'request_id' | 'source' | 'cause' | 'jenkins_key'
| 'trace_id' | 'started_by' | 'rebuild_of'>
export const TRACKED_COLUMNS = [
  'id',
  'plan_id',
  'build_index',
  'status',
  'job_name',
  'detail',
  'queue_id',
  'jenkins_build_number',
  'jenkins_url',
  'create_time',
  'start_time',
  'end_time',
  'jenkins_name',
  'poll_after',
  'poll_token',
  'poll_errors',
  'cancel_requested',
  'revision'
] as const satisfies ReadonlyArray<keyof TrackedBuild>

/**
 * Records a new Queued build under the next BuildIndex of the plan. The counter row is bumped
 * first inside the transaction: on MySQL that row lock, on SQLite the write lock, serialises
 * concurrent callers across processes, so indexes have no gap and no duplicate. With a RequestID
 * the insert meets the unique key (plan_id, request_id): a duplicate rolls the bump back and
 * answers the build that holds it (`existing`), so concurrent repeats make one build.
 */
export async function recordBuild (db: Db, planId: number, jobName: string, jenkinsName: string | null,
  parameters: (index: number) => JenkinsParameter[], requestId?: string,
  origin: { startedBy?: string | null, rebuildOf?: number | null, traceId?: string } = {}):
  Promise<{ id: number, buildIndex: number, parameter: JenkinsParameter[], existing: boolean }> {
  try {
    return await db.transaction().execute(async (trx) => {
      const buildIndex = await nextBuildIndex(trx, planId)
      const parameter = parameters(buildIndex)
      const r = await trx.insertInto('builds').values({
        plan_id: planId,
        build_index: buildIndex,
        status: 'Queued',
        job_name: jobName,
        jenkins_name: jenkinsName,
        parameter: JSON.stringify({ parameter }),
        detail: '{}',
        create_time: now(),
        request_id: requestId ?? null,
        trace_id: origin.traceId ?? null,
        started_by: origin.startedBy ?? null,
        rebuild_of: origin.rebuildOf ?? null
      }).executeTakeFirstOrThrow()
      const id = Number(r.insertId)
      await appendEvents(trx, { id, plan_id: planId, build_index: buildIndex }, 'api', [
        { stageName: '', status: 'Queued' }
      ])
      return { id, buildIndex, parameter, existing: false }
    })
  } catch (err) {
    if (requestId == null || !isUniqueViolation(err)) throw err
    const seen = await db.selectFrom('builds').select(['id', 'build_index', 'parameter'])
      .where('plan_id', '=', planId).where('request_id', '=', requestId).executeTakeFirst()
    if (seen == null) throw err
    return {
      id: seen.id,
      buildIndex: seen.build_index,
      parameter: (JSON.parse(seen.parameter) as { parameter: JenkinsParameter[] }).parameter,
      existing: true
    }
  }
}

/** Bumps the plan's counter (the lock that serialises allocation) and answers the new BuildIndex. */
async function nextBuildIndex (trx: Db, planId: number): Promise<number> {
  const bumped = await trx
    .updateTable('plans')
    .set((eb) => ({ last_build_index: eb('last_build_index', '+', 1), list_version: eb('list_version', '+', 1) }))
    .where('id', '=', planId)
    .executeTakeFirst()
  if (Number(bumped.numUpdatedRows) === 0) throw notFound('plan')
  const { last_build_index: buildIndex } = await trx.selectFrom('plans').select('last_build_index')
    .where('id', '=', planId).executeTakeFirstOrThrow()
  return buildIndex
}

/** True when the plan has a build with this BuildIndex. */
export async function buildExists (db: Db, planId: number, buildIndex: number): Promise<boolean> {
  return (await db.selectFrom('builds').select('id').where('plan_id', '=', planId).where('build_index', '=', buildIndex)
    .executeTakeFirst()) != null
}

/** The BuildIndex a RequestID already got in this plan, if any. */
export async function findByRequestId (db: Db, planId: number, requestId: string): Promise<number | undefined> {
  const b = await db
    .selectFrom('builds')
    .select('build_index')
    .where('plan_id', '=', planId)
    .where('request_id', '=', requestId)
    .executeTakeFirst()
  return b?.build_index
}

export async function findBuild (db: Db, planId: number, buildIndex: number): Promise<TrackedBuild> {
  const build = await db.selectFrom('builds').select(TRACKED_COLUMNS)
    .where('plan_id', '=', planId).where('build_index', '=', buildIndex).executeTakeFirst()
  if (build == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  return build
}

/** What validates a build's cached Build/info and Stage/info, and what its estimate needs. */
export interface BuildVersion {
  id: number
  revision: number
  status: string
  start_time: number | null
  /** the plan's Build/list version: moves when a build of the plan changes, so its history too */
  list_version: number
}

/**
 * The build's id, revision, status and start, and its plan's list version, in one read; NotFound when there is none.
 */
export async function buildRevision (db: Db, planId: number, buildIndex: number): Promise<BuildVersion> {
  const build = await db.selectFrom('builds')
    .select(['id', 'revision', 'status', 'start_time', (eb) => eb.selectFrom('plans').select('plans.list_version')
      .whereRef('plans.id', '=', 'builds.plan_id').$asScalar().$notNull().as('list_version')])
    .where('builds.plan_id', '=', planId).where('builds.build_index', '=', buildIndex).executeTakeFirst()
  if (build == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  return build
}

/** The whole build, parameters included, as Build/info answers it. */
export async function findBuildInfo (db: Db, planId: number, buildIndex: number): Promise<BuildInfo> {
  const b = await db.selectFrom('builds').selectAll()
    .where('plan_id', '=', planId).where('build_index', '=', buildIndex).executeTakeFirst()
  if (b == null) throw notFound(`build ${buildIndex} of plan ${planId}`)
  return {
    BuildIndex: b.build_index,
    Status: b.status as Status,
    StartTime: b.start_time,
    EndTime: b.end_time,
    CreateTime: b.create_time,
    JobName: b.job_name,
    Parameter: JSON.parse(b.parameter) as BuildInfo['Parameter'],
    JenkinsQueueID: b.queue_id,
    JenkinsBuildNumber: b.jenkins_build_number,
    JenkinsURL: b.jenkins_url,
    Detail: JSON.parse(b.detail) as Record<string, unknown>,
    Source: b.source === 'jenkins' ? 'jenkins' : 'api',
    Cause: b.cause,
    StartedBy: b.started_by,
    RebuildOf: b.rebuild_of,
    // filled in per request while the build runs (routes/build.ts): they move with the clock
    EstimatedEndTime: null,
    Progress: null
  }
}

export async function listBuilds (db: Db, planId: number, status: Status | undefined, page: number, size: number):
Promise<{ total: number, list: BuildListItem[] }> {
  let q = db.selectFrom('builds').where('plan_id', '=', planId)
  if (status != null) q = q.where('status', '=', status)
  const [plan, counted, list] = await Promise.all([
    db.selectFrom('plans').select(['last_build_index', 'pruned_builds']).where('id', '=', planId).executeTakeFirst(),
    // without a filter the count is the plan's counter less what retention deleted (indexes are never reused)
    status == null ? undefined : q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    q
      .select([
        'build_index as BuildIndex',
        'status as Status',
        'start_time as StartTime',
        'create_time as CreateTime',
        'end_time as EndTime',
        'source as Source',
        'cause as Cause',
        'started_by as StartedBy',
        'rebuild_of as RebuildOf'
      ])
      .orderBy('build_index', 'desc')
      .limit(size)
      .offset((page - 1) * size)
      .$castTo<BuildListItem>()
      .execute()
  ])
  if (plan == null) throw notFound('plan') // an unknown plan is NotFound, not an empty list
  return { total: Number(counted?.total ?? Number(plan.last_build_index) - Number(plan.pruned_builds)), list }
}

/** Jenkins accepted the trigger: remember the queue item so the poller can follow it. */
export async function markQueued (db: Db, id: number, queueId: number | null, note?: string): Promise<void> {
  const set: { queue_id: number | null, detail?: string } = { queue_id: queueId }
  if (note != null) set.detail = JSON.stringify({ Note: note })
  // Build/info shows both: its cached answer is keyed by the revision
  await db
    .updateTable('builds')
    .set((eb) => ({ ...set, revision: eb('revision', '+', 1) }))
    .where('id', '=', id)
    .execute()
}

/** Jenkins refused or did not answer: the build stays on record as Fail with the reason. */
export async function markTriggerFailed (db: Db, id: number, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('builds')
      .set((eb) => ({
        status: 'Fail',
        end_time: now(),
        detail: JSON.stringify({ Reason: reason }),
        revision: eb('revision', '+', 1)
      }))
      .where('id', '=', id)
      .execute()
    await bumpPlanListOfBuild(trx, id)
    const b = await trx
      .selectFrom('builds')
      .select(['id', 'plan_id', 'build_index'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    await appendEvents(trx, b, 'api', [{ stageName: '', status: 'Fail', detail: { Reason: reason } }])
  })
}

export async function findBuildById (db: Db, id: number): Promise<TrackedBuild> {
  return await db.selectFrom('builds').select(TRACKED_COLUMNS).where('id', '=', id).executeTakeFirstOrThrow()
}

/** Build/cancel could not stop it yet (it was leaving the queue): the poller stops it once its number shows. */
export async function requestCancel (db: Db, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('builds').set({ cancel_requested: 1 }).where('id', '=', id).execute()
    const b = await trx
      .selectFrom('builds')
      .select(['id', 'plan_id', 'build_index', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    await appendEvents(trx, b, 'cancel', [{ stageName: '', status: b.status }])
  })
}

/** What identifies the build a Jenkins notification is about. */
export interface NotificationKey {
  /** the Jenkins instance it came from (null = the default one); undefined when its URL names none we know */
  instance?: string | null
  queueId?: number
  planId?: number
  buildIndex?: number
  url?: string
  job?: string | null
  number?: number
}

/**
 * The build a notification is about. A run is ours only by (instance, queue id) or (instance, job,
 * number); our DevOpsPlanID/BuildIndex parameters match only a build that has no run number yet,
 * since a replay or rebuild copies them (docs/API.md, "Following Jenkins as it is installed today").
 */
export async function findForNotification (db: Db, k: NotificationKey): Promise<TrackedBuild | undefined> {
  const scoped = <Q extends { where: (...a: any[]) => Q }>(q: Q): Q => {
    let out = q
    if (k.instance !== undefined) {
      out = k.instance === null ? out.where('jenkins_name', 'is', null) : out.where('jenkins_name', '=', k.instance)
    }
    if (k.job != null) out = out.where('job_name', '=', k.job)
    return out
  }
  if (k.queueId != null) {
    const byQueue = await scoped(
      db.selectFrom('builds').select(TRACKED_COLUMNS).where('queue_id', '=', k.queueId)
    ).execute()
    // with the instance unknown, any instance may have given the id: only our parameters tell whose it is
    const ours = (r: TrackedBuild): boolean => r.plan_id === k.planId && r.build_index === k.buildIndex
    const match = byQueue.length === 1 && k.instance !== undefined ? byQueue[0] : byQueue.find(ours)
    if (match != null) return match
  }
  if (k.url != null) {
    const byUrl = await db
      .selectFrom('builds')
      .select(TRACKED_COLUMNS)
      .where('jenkins_url', '=', k.url)
      .executeTakeFirst()
    if (byUrl != null) return byUrl
  }
  if (k.job != null && k.number != null) {
    const byNumber = await scoped(
      db.selectFrom('builds').select(TRACKED_COLUMNS).where('jenkins_build_number', '=', k.number)
    ).executeTakeFirst()
    if (byNumber != null) return byNumber
  }
  if (k.planId != null && k.buildIndex != null) {
    const byParams = await scoped(
      db
        .selectFrom('builds')
        .select(TRACKED_COLUMNS)
        .where('plan_id', '=', k.planId)
        .where('build_index', '=', k.buildIndex)
    ).executeTakeFirst()
    if (byParams != null && byParams.jenkins_build_number == null) return byParams
  }
  return undefined
}

// Poller leases: poll_after/poll_token let several processes share one database without polling a build twice.

/** Claims every due build Jenkins still has (skipping instances that are down) under `token`; returns them. */
export async function claimDue (db: Db, token: string, now: number, leaseUntil: number,
  down: { defaultDown: boolean, named: string[] }): Promise<TrackedBuild[]> {
  await db
    .updateTable('builds')
    .set({ poll_token: token, poll_after: leaseUntil })
    .where('poll_after', '<=', now)
    .where((eb) => eb.or([eb('queue_id', 'is not', null), eb('jenkins_build_number', 'is not', null)]))
    // builds of an instance that is down wait for its pause to end
    .$if(down.defaultDown, (q) => q.where('jenkins_name', 'is not', null))
    .$if(down.named.length > 0, (q) =>
      q.where((eb) => eb.or([eb('jenkins_name', 'is', null), eb('jenkins_name', 'not in', down.named)]))
    )
    .execute()
  return await db.selectFrom('builds').select(TRACKED_COLUMNS).where('poll_token', '=', token).execute()
}

/** Claims one build now unless another lease holds it; undefined when it could not be taken. */
export async function claimOne (
  db: Db,
  id: number,
  token: string,
  now: number,
  leaseUntil: number
): Promise<TrackedBuild | undefined> {
  const r = await db
    .updateTable('builds')
    .set({ poll_token: token, poll_after: leaseUntil })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('poll_token', 'is', null), eb('poll_after', '<=', now)]))
    .where((eb) => eb.or([eb('queue_id', 'is not', null), eb('jenkins_build_number', 'is not', null)]))
    .executeTakeFirst()
  if (Number(r.numUpdatedRows) === 0) return undefined
  return await findBuildById(db, id)
}

/** Ends a lease: the build is due again at `pollAfter` (epoch ms). */
export async function release (db: Db, id: number, pollAfter: number, errors: number): Promise<void> {
  await db
    .updateTable('builds')
    .set({ poll_token: null, poll_after: pollAfter, poll_errors: errors })
    .where('id', '=', id)
    .execute()
}

/** Ends the leases of builds polled without error, which are all due again at `pollAfter`: one UPDATE per 500. */
export async function releaseAll (db: Db, ids: number[], pollAfter: number): Promise<void> {
  for (let k = 0; k < ids.length; k += 500) {
    await db.updateTable('builds').set({ poll_token: null, poll_after: pollAfter, poll_errors: 0 })
      .where('id', 'in', ids.slice(k, k + 500)).execute()
  }
}

/**
 * Builds recorded as Queued before `before` (epoch s) whose trigger never finished: no queue item, no number, no note.
 */
export async function findOrphans (db: Db, before: number): Promise<Array<{ plan_id: number, build_index: number }>> {
  return await db.selectFrom('builds').select(['plan_id', 'build_index']).where('status', '=', 'Queued')
    .where('queue_id', 'is', null).where('jenkins_build_number', 'is', null).where('detail', '=', '{}')
    .where('create_time', '<', before).limit(100).execute()
}

/**
 * The instance (null = the default) of a build whose stored run URL starts with `root` (a root URL
 * Jenkins reports behind a reverse proxy); undefined when no stored run is under it.
 */
export async function instanceOfRunUrl (db: Db, root: string): Promise<string | null | undefined> {
  // '!' escapes LIKE's wildcards the same way on SQLite and MariaDB (a backslash is read differently by each)
  const pattern = root.replace(/[!%_]/g, (c) => '!' + c) + '%'
  const row = await db.selectFrom('builds').select('jenkins_name')
    .where(sql<boolean>`jenkins_url like ${pattern} escape '!'`).limit(1).executeTakeFirst()
  return row == null ? undefined : row.jenkins_name
}

// OTLP spans (builds/otlp-spans.ts): a run's trace id names our build.

/** The builds whose trace id is one of `traceIds`, with that id. */
export async function findByTraceIds (db: Db, traceIds: string[]):
Promise<Array<TrackedBuild & { trace_id: string | null }>> {
  if (traceIds.length === 0) return []
  return await db.selectFrom('builds').select([...TRACKED_COLUMNS, 'trace_id'])
    .where('trace_id', 'in', traceIds).execute()
}

/**
 * Records the trace a build's run turned out to have (its root span named the build): the one we sent
 * did not reach Jenkins (a job name the plugin's filter skips), so later exports match by this one.
 */
export async function recordTraceId (db: Db, id: number, traceId: string): Promise<void> {
  await db.updateTable('builds').set({ trace_id: traceId }).where('id', '=', id).execute()
}

/**
 * Makes builds due for the poller at `now` (epoch ms), unless a poller holds their lease or is done
 * with them (poll_after = Number.MAX_SAFE_INTEGER, the poller's POLL_DONE): any process's next tick
 * takes them.
 */
export async function pollSoon (db: Db, ids: number[], now: number): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('builds').set({ poll_after: now })
    .where('id', 'in', ids).where('poll_token', 'is', null)
    .where('poll_after', '>', now).where('poll_after', '<', Number.MAX_SAFE_INTEGER)
    .execute()
}
