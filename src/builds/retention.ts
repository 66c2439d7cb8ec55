import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/schema.js'
import {
  claimLease, prunable, pruneBatch, releaseLease, type PruneCounts, type RetentionRules
} from '../repositories/retention.js'

/** Rows one transaction deletes at most: a writer waiting for the lock waits for one small batch. */
export const ROWS_PER_TRANSACTION = 500
/** Builds whose history one transaction works through. */
const BUILDS_PER_BATCH = 50
/** How long a run may hold the lease without renewing it (a crashed holder's lease ends by itself). */
const LEASE_MS = 60_000

export interface RetentionOptions {
  /** RETAIN_DAYS: 0 keeps builds for ever */
  days: number
  /** RETAIN_BUILDS: per plan; 0 keeps every build */
  builds: number
  /** time between runs (ms) */
  intervalMs: number
  /**
   * the share of time the job may hold the database's write lock: after a transaction of d ms it
   * waits d × (1 − share) ÷ share, so writers get the rest however slow the disk (default 0.1)
   */
  share?: number
}

/**
 * Deletes ended builds with their stages and events in the background (docs/API.md, retention).
 * Every process runs it; a lease in app_state makes one of them do the work per interval, and
 * the lease's end is when the next run is due, so the others skip until then.
 */
export class Retention {
  /** what this process deleted since it started, for /metrics */
  readonly pruned: PruneCounts = { builds: 0, stages: 0, events: 0, logs: 0 }
  /** epoch ms; replaceable in tests */
  clock: () => number = Date.now
  private readonly token = randomUUID()

  constructor (private readonly db: Kysely<Database>, private readonly log: FastifyBaseLogger,
    readonly opts: RetentionOptions) {}

  get enabled (): boolean { return this.opts.days > 0 || this.opts.builds > 0 }

  rules (): RetentionRules {
    return {
      endedBefore: this.opts.days > 0 ? Math.floor(this.clock() / 1000) - this.opts.days * 86_400 : null,
      keepPerPlan: this.opts.builds > 0 ? this.opts.builds : null
    }
  }

  /** One run, if this process takes the lease: what it deleted; null when another process holds the lease. */
  async runOnce (): Promise<PruneCounts | null> {
    if (!this.enabled) return { builds: 0, stages: 0, events: 0, logs: 0 }
    const done: PruneCounts = { builds: 0, stages: 0, events: 0, logs: 0 }
    const renew = async (): Promise<boolean> =>
      await claimLease(this.db, this.token, this.clock(), this.clock() + LEASE_MS)
    try {
      if (!await renew()) return null
      const rules = this.rules()
      for (;;) {
        const batch = await prunable(this.db, rules, BUILDS_PER_BATCH)
        if (batch.length === 0) break
        const ids = batch.map((b) => b.id)
        for (;;) {
          const started = performance.now()
          const r = await pruneBatch(this.db, ids, ROWS_PER_TRANSACTION)
          for (const k of ['builds', 'stages', 'events', 'logs'] as const) { done[k] += r[k]; this.pruned[k] += r[k] }
          await this.pause(performance.now() - started)
          // renewed after every transaction, however long one batch of builds takes; a process that
          // lost the lease (paused past its end) stops, and the new holder goes on where it stopped
          if (!await renew()) return done
          if (r.done) break
        }
      }
      await releaseLease(this.db, this.token, this.clock() + this.opts.intervalMs)
    } catch (err) {
      // a database that is down or refuses writes: logged, never thrown (it would end the process);
      // the lease ends by itself, and the next run goes on where this one stopped
      this.log.error({ err }, 'retention: run failed')
    }
    if (done.builds > 0) this.log.info(done, 'retention: pruned old builds')
    return done
  }

  private async pause (tookMs: number): Promise<void> {
    const share = this.opts.share ?? 0.1
    const ms = share >= 1 ? 0 : Math.round(tookMs * (1 - share) / share)
    await new Promise((resolve) => ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve))
  }
}
