import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { TERMINAL } from '../status.js'
import { isUniqueViolation } from './db-errors.js'

// Retention's statements. A build may go only when it ended and is not its plan's newest: the
// newest holds the plan's counter (plans.last_build_index), which is never lowered, so a BuildIndex
// is never handed out twice whatever is deleted.

type Db = Kysely<Database>
const ENDED = [...TERMINAL]
const LEASE = 'retention_lease'

export interface RetentionRules {
  /** ended before this epoch second: gone (null: no age rule) */
  endedBefore: number | null
  /** builds kept per plan, by BuildIndex (null: no count rule) */
  keepPerPlan: number | null
}

export interface PruneCounts { builds: number, stages: number, events: number, /** captured stage logs */ logs: number }

/** Up to `limit` builds the rules let go, oldest first. */
export async function prunable (db: Db, rules: RetentionRules, limit: number):
Promise<Array<{ id: number, plan_id: number }>> {
  if (rules.endedBefore == null && rules.keepPerPlan == null) return []
  const counter = sql<number>`(select p.last_build_index from plans p where p.id = builds.plan_id)`
  return await db.selectFrom('builds').select(['id', 'plan_id'])
    .where('status', 'in', ENDED)
    .where('build_index', '<', counter)
    .where((eb) => eb.or([
      ...(rules.endedBefore == null ? [] : [eb(eb.fn.coalesce('end_time', 'create_time'), '<', rules.endedBefore)]),
      ...(rules.keepPerPlan == null ? [] : [eb('build_index', '<=', sql<number>`${counter} - ${rules.keepPerPlan}`)])
    ]))
    .orderBy('id').limit(limit).execute()
}

/**
 * Deletes at most `budget` rows of the history of `buildIds` in one transaction: events first, then
 * stages, then, once a build has none left, the build itself. The builds are locked first (as the
 * write path does), so a late update either lands before and is deleted too, or finds no build.
 * Answers what it deleted; `done` when the builds are gone.
 */
export async function pruneBatch (db: Db, buildIds: number[], budget: number):
Promise<PruneCounts & { done: boolean }> {
  return await db.transaction().execute(async (trx) => {
    await trx.updateTable('builds').set((eb) => ({ revision: eb.ref('revision') }))
      .where('id', 'in', buildIds).execute()
    let left = budget
    const events = (await trx.selectFrom('events').select('id')
      .where('build_id', 'in', buildIds).limit(left).execute()).map((r) => r.id)
    if (events.length > 0) await trx.deleteFrom('events').where('id', 'in', events).execute()
    left -= events.length
    if (left === 0) return { builds: 0, stages: 0, events: events.length, logs: 0, done: false }
    // captured logs (up to 64 KiB each) go here, counted, rather than by the foreign key's cascade
    const logs = await trx.selectFrom('stage_logs').select(['build_id', 'stage_id'])
      .where('build_id', 'in', buildIds).limit(left).execute()
    const logsOf = new Map<number, number[]>()
    for (const l of logs) logsOf.set(l.build_id, [...(logsOf.get(l.build_id) ?? []), l.stage_id])
    for (const [buildId, stageIds] of logsOf) {
      await trx.deleteFrom('stage_logs').where('build_id', '=', buildId).where('stage_id', 'in', stageIds).execute()
    }
    left -= logs.length
    if (left === 0) return { builds: 0, stages: 0, events: events.length, logs: logs.length, done: false }
    const stages = (await trx.selectFrom('stages').select('id')
      .where('build_id', 'in', buildIds).limit(left).execute()).map((r) => r.id)
    if (stages.length > 0) await trx.deleteFrom('stages').where('id', 'in', stages).execute()
    left -= stages.length
    // the builds and their plans' counters are rows of this transaction too
    if (left < 2 * buildIds.length) return { builds: 0, stages: stages.length, events: events.length, logs: logs.length, done: false }
    // every plan's count and list version move with the builds it lost, in this transaction
    const gone = await trx.selectFrom('builds').select(['id', 'plan_id']).where('id', 'in', buildIds).execute()
    const perPlan = new Map<number, number>()
    for (const b of gone) perPlan.set(b.plan_id, (perPlan.get(b.plan_id) ?? 0) + 1)
    await trx.deleteFrom('builds').where('id', 'in', buildIds).execute()
    for (const [planId, n] of perPlan) {
      await trx.updateTable('plans')
        .set((eb) => ({ pruned_builds: eb('pruned_builds', '+', n), list_version: eb('list_version', '+', 1) }))
        .where('id', '=', planId).execute()
    }
    return { builds: gone.length, stages: stages.length, events: events.length, logs: logs.length, done: true }
  })
}

/**
 * Takes (or renews) the one retention lease of the installation until `until` (epoch ms) when it is
 * free (expired) or already `token`'s. Every process runs the job; only the holder works.
 */
export async function claimLease (db: Db, token: string, nowMs: number, until: number): Promise<boolean> {
  try {
    await db.insertInto('app_state').values({ name: LEASE, value: token, updated_at: until }).execute()
    return true
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
  }
  const r = await db.updateTable('app_state').set({ value: token, updated_at: until })
    .where('name', '=', LEASE)
    .where((eb) => eb.or([eb('updated_at', '<=', nowMs), eb('value', '=', token)]))
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

/** Hands the lease back with the time the next run is due (epoch ms): until then no process starts one. */
export async function releaseLease (db: Db, token: string, nextDue: number): Promise<void> {
  await db.updateTable('app_state').set({ value: `done:${token}`, updated_at: nextDue })
    .where('name', '=', LEASE).where('value', '=', token).execute()
}
