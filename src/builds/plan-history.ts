import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { VersionedMemo } from '../lib/versioned-memo.js'
import { lastPassedBuilds } from '../repositories/analytics.js'
import { ESTIMATE_HISTORY, planHistory, type PlanHistory } from './estimate.js'

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
}
