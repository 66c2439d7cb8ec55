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
    const stages = await stageRunsOf(db, builds.map((b) => b.id))
    const found = new Map<number, Estimate | null>()
    for (const b of builds) {
      const history = await this.of(db, b.planId, String(b.listVersion))
      found.set(b.id, estimate(history, { start_time: b.startTime }, stages.get(b.id) ?? [], now))
    }
    return found
  }
}
