import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { VersionedMemo } from '../lib/versioned-memo.js'
import { lastPassedBuilds, stageRunsOf } from '../repositories/analytics.js'
import { ESTIMATE_HISTORY, estimate, type Estimate, planHistory, type PlanHistory } from './estimate.js'

/** A build not ended, as the estimate of a page of them needs it. */
export interface RunningBuildRef { id: number, planId: number, listVersion: number, startTime: number | null }

/**
 * Each plan's history of passed builds (medians, usual stages), read once per version of the plan's
 * Build/list: every build that ends bumps it, in any process, so a new passed build is seen at once.
 */
export class PlanHistories {
  private readonly memo = new VersionedMemo<number, PlanHistory>(2000)

  async of (db: Kysely<Database>, planId: number, listVersion: string): Promise<PlanHistory> {
    return await this.memo.through(planId, listVersion,
      async () => planHistory(await lastPassedBuilds(db, planId, ESTIMATE_HISTORY)))
  }

  /** The estimates of many builds not ended (a page of them): their stages in one read, histories by plan. */
  async estimates (db: Kysely<Database>, builds: RunningBuildRef[], now: number):
  Promise<Map<number, Estimate | null>> {
    // one history per plan, read together with the stages
    const plans = [...new Map(builds.map((b) => [b.planId, String(b.listVersion)])).entries()]
    const [stages, histories] = await Promise.all([
      stageRunsOf(db, builds.map((b) => b.id)),
      Promise.all(plans.map(async ([planId, version]) => [planId, await this.of(db, planId, version)] as const))
    ])
    const historyOf = new Map(histories)
    return new Map(builds.map((b) => [b.id, estimate(historyOf.get(b.planId) as PlanHistory,
      { start_time: b.startTime }, stages.get(b.id) ?? [], now)]))
  }
}
