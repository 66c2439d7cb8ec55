import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { now } from '../lib/time.js'
import type { JenkinsParameter } from '../schemas/build.js'
import { isUniqueViolation } from './db-errors.js'
import { appendEvents } from './events.js'

type Db = Kysely<Database>

/** A plan watching a job: discovery imports that job's foreign runs into it. */
export interface Watcher { id: number, job_name: string, jenkins_name: string | null, created_at: number }

export async function watchers (db: Db): Promise<Watcher[]> {
  return await db.selectFrom('plans').select(['id', 'job_name', 'jenkins_name', 'created_at'])
    .where('job_name', 'is not', null).orderBy('id').$castTo<Watcher>().execute()
}

export async function getMark (db: Db, jenkinsKey: string, jobName: string): Promise<number | undefined> {
  const m = await db.selectFrom('discovery_marks').select('last_number')
    .where('jenkins_key', '=', jenkinsKey).where('job_name', '=', jobName).executeTakeFirst()
  return m?.last_number
}

/**
 * First sighting of a job: runs up to `lastNumber` are history, never imported. Another process may have set it first.
 */
export async function setFirstMark (db: Db, jenkinsKey: string, jobName: string, lastNumber: number): Promise<void> {
  try {
    await db
      .insertInto('discovery_marks')
      .values({ jenkins_key: jenkinsKey, job_name: jobName, last_number: lastNumber })
      .execute()
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
  }
}

/** Moves the mark forward only (two processes may race; the higher number wins). */
export async function advanceMark (db: Db, jenkinsKey: string, jobName: string, lastNumber: number): Promise<void> {
  await db
    .updateTable('discovery_marks')
    .set({ last_number: lastNumber })
    .where('jenkins_key', '=', jenkinsKey)
    .where('job_name', '=', jobName)
    .where('last_number', '<', lastNumber)
    .execute()
}

/**
 * The job's numbers went back (deleted and created again): the mark starts over at `lastNumber`, and
 * the runs recorded for the old job give up their (instance, job, number) key, which the new job's
 * runs of the same numbers need. They keep everything else.
 */
export async function resetMark (db: Db, jenkinsKey: string, jobName: string, lastNumber: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('discovery_marks').set({ last_number: lastNumber })
      .where('jenkins_key', '=', jenkinsKey).where('job_name', '=', jobName).execute()
    await trx
      .updateTable('builds')
      .set({ jenkins_key: `${jenkinsKey}~old-job~${now()}`.slice(-64) })
      .where('jenkins_key', '=', jenkinsKey)
      .where('job_name', '=', jobName)
      .where('jenkins_build_number', '>', lastNumber)
      .execute()
  })
}

/** a build recorded up to this long after its run's timestamp may still be the one that queued it (clocks differ) */
export const CLOCK_SKEW_S = 300

interface OwnRow {
  queue_id: number | null
  jenkins_build_number: number | null
  plan_id: number
  build_index: number
  create_time: number
  start_time: number | null
}
interface SeenRun { number: number, queueId: number | null, timestamp: number, planId?: number, buildIndex?: number }

/**
 * Our build ran as this run number, but is it this run? A recreated job numbers its runs from 1 again, so a number
 * alone is not enough: the queue ids must agree when both are known, else the start times (within the clock skew);
 * and we record a build before its run starts.
 */
function sameRunByNumber (b: OwnRow, r: SeenRun): boolean {
  if (b.jenkins_build_number !== r.number) return false
  const runStartS = Math.floor(r.timestamp / 1000)
  if (b.create_time > runStartS + CLOCK_SKEW_S) return false
  if (b.queue_id != null && r.queueId != null) return b.queue_id === r.queueId
  return b.start_time == null || Math.abs(b.start_time - runStartS) <= CLOCK_SKEW_S
}

/**
 * Run numbers (of `numbers`) that belong to builds the service started itself on this instance and
 * job: by queue id, by number (the same run, not a recreated job's run of that number), or by our
 * DevOpsPlanID/BuildIndex on a build whose queue item is not known yet (the trigger's answer not
 * written). A replay carries our parameters but a new queue id.
 * A queue id counts only for a build recorded before the run started that has no other run: Jenkins
 * reuses ids after losing queue.xml (QueueIdStrategy starts again from the ids it finds).
 */
export async function ownRuns (
  db: Db,
  jenkinsName: string | null,
  jobName: string,
  runs: SeenRun[]
): Promise<Set<number>> {
  const sameInstance = (q: any) =>
    jenkinsName == null ? q.where('jenkins_name', 'is', null) : q.where('jenkins_name', '=', jenkinsName)
  const queueIds = runs.map((r) => r.queueId).filter((q): q is number => q != null)
  const rows = (await sameInstance(
    db
      .selectFrom('builds')
      .select(['queue_id', 'jenkins_build_number', 'plan_id', 'build_index', 'create_time', 'start_time'])
      .where('source', '=', 'api')
      .where('job_name', '=', jobName)
  )
    .where((eb: any) =>
      eb.or([
        eb(
          'jenkins_build_number',
          'in',
          runs.map((r) => r.number)
        ),
        ...(queueIds.length > 0 ? [eb('queue_id', 'in', queueIds)] : []),
        ...runs
          .filter((r) => r.planId != null)
          .map((r) => eb.and([eb('plan_id', '=', r.planId), eb('build_index', '=', r.buildIndex)]))
      ])
    )
    .execute()) as OwnRow[]
  const own = new Set<number>()
  for (const r of runs) {
    const byQueue = (b: OwnRow): boolean =>
      r.queueId != null &&
      b.queue_id === r.queueId &&
      b.jenkins_build_number == null &&
      b.create_time <= Math.floor(r.timestamp / 1000) + CLOCK_SKEW_S
    const mine = rows.some(
      (b) =>
        sameRunByNumber(b, r) ||
        byQueue(b) ||
        (b.plan_id === r.planId &&
          b.build_index === r.buildIndex &&
          b.queue_id == null &&
          b.jenkins_build_number == null)
    )
    if (mine) own.add(r.number)
  }
  return own
}

export interface ImportedRun {
  planId: number
  jenkinsName: string | null
  jobName: string
  number: number
  queueId: number | null
  url: string | null
  /** ms */
  timestamp: number
  cause: string | null
  parameter: JenkinsParameter[]
}

/**
 * Records a run Jenkins started itself as a Running build of the plan under its next BuildIndex.
 * The unique key (plan_id, jenkins_key, job_name, jenkins_build_number) makes a second process's
 * import fail: that transaction rolls back (the counter bump too) and false is answered.
 */
export async function importRun (db: Db, run: ImportedRun): Promise<boolean> {
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('plans')
        .set((eb) => ({ last_build_index: eb('last_build_index', '+', 1), list_version: eb('list_version', '+', 1) }))
        .where('id', '=', run.planId)
        .execute()
      const plan = await trx
        .selectFrom('plans')
        .select('last_build_index')
        .where('id', '=', run.planId)
        .executeTakeFirstOrThrow()
      const r = await trx.insertInto('builds').values({
        plan_id: run.planId,
        build_index: plan.last_build_index,
        status: 'Running',
        job_name: run.jobName,
        jenkins_name: run.jenkinsName,
        jenkins_key: run.jenkinsName ?? '',
        parameter: JSON.stringify({ parameter: run.parameter }),
        detail: '{}',
        queue_id: run.queueId,
        jenkins_build_number: run.number,
        jenkins_url: run.url,
        create_time: now(),
        start_time: Math.floor(run.timestamp / 1000),
        source: 'jenkins',
        cause: run.cause
      }).executeTakeFirstOrThrow()
      // the build's history starts with its discovery (the poller found it)
      await appendEvents(
        trx,
        { id: Number(r.insertId), plan_id: run.planId, build_index: plan.last_build_index },
        'poller',
        [{ stageName: '', status: 'Running', detail: { Cause: run.cause } }]
      )
    })
    return true
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    await completeRerun(db, run)
    return false
  }
}

const RERUN_CAUSE = 'Rerun of build '
/** The cause a rerun's build is recorded with when its first report names it, before discovery reads the run. */
export const rerunCause = (originalIndex: number): string => `${RERUN_CAUSE}${originalIndex}`

/**
 * A rerun's build recorded from its first report (rerun.ts) knows only the run's number: when discovery
 * reads that run, the build takes Jenkins' cause ("Replayed #7", "Restarted from build #7, stage
 * Deploy"), its parameters, URL and start. Its revision and the plan's list version move, so cached
 * answers show it.
 */
async function completeRerun (db: Db, run: ImportedRun): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('builds')
      .set((eb) => ({
        cause: run.cause,
        parameter: JSON.stringify({ parameter: run.parameter }),
        jenkins_url: eb.fn.coalesce('jenkins_url', eb.val(run.url)),
        start_time: Math.floor(run.timestamp / 1000),
        revision: eb('revision', '+', 1)
      }))
      .where('plan_id', '=', run.planId).where('jenkins_key', '=', run.jenkinsName ?? '')
      .where('job_name', '=', run.jobName).where('jenkins_build_number', '=', run.number)
      .where('source', '=', 'jenkins').where('cause', 'like', `${RERUN_CAUSE}%`)
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) === 0) return
    await trx.updateTable('plans').set((eb) => ({ list_version: eb('list_version', '+', 1) }))
      .where('id', '=', run.planId).execute()
  })
}

/** The build of `planId` that is (instance, job, run number), if one was recorded: discovery's import or a rerun's. */
export async function findRunBuild (
  db: Db,
  planId: number,
  jenkinsName: string | null,
  jobName: string,
  number: number
): Promise<{ build_index: number } | undefined> {
  return await db
    .selectFrom('builds')
    .select('build_index')
    .where('plan_id', '=', planId)
    .where('jenkins_key', '=', jenkinsName ?? '')
    .where('job_name', '=', jobName)
    .where('jenkins_build_number', '=', number)
    .executeTakeFirst()
}
