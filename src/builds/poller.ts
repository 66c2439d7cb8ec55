import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { JenkinsError } from '../jenkins/client.js'
import { InstanceMonitor } from '../jenkins/instance-monitor.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { applyProgress } from './progress.js'
import { RunFollower } from './follow.js'
import { LostQueueItem, LostRun, StageApiFailed } from './follow-errors.js'
import { claimDue, claimOne, findOrphans, release, releaseAll, type TrackedBuild } from '../repositories/builds.js'

// The tick: every build Jenkins still has in hand is claimed with one UPDATE (a lease in
// poll_after/poll_token), so several server processes on one database never poll the same build in
// the same tick, then followed (follow.ts) and released with its next poll time.

/** poll_after of a build Jenkins has finished with: never polled again */
export const POLL_DONE = Number.MAX_SAFE_INTEGER
const MAX_BACKOFF_MS = 5 * 60_000
/** Polls of an ended build whose failed stage's log Jenkins did not give, before it is left without */
export const LOG_RETRIES = 5

export interface PollerOptions {
  intervalMs: number
  /** JENKINS_TIMEOUT_MS: how long a trigger may take */
  triggerTimeoutMs: number
  /** builds polled at the same time */
  concurrency?: number
  /** sees every error of a build's poll that is no Jenkins failure: /readyz learns of refused writes */
  onError?: (err: unknown) => void
}

export interface TickReport {
  claimed: number
  finished: number
  errors: number
  /** Jenkins requests made during the tick, over every instance */
  requests: number
  ms: number
}

export class Poller {
  readonly id = randomUUID().slice(0, 8)
  /** what each Jenkins offers, its health, what /readyz reports */
  readonly monitor: InstanceMonitor
  private readonly follower: RunFollower
  private tick = 0
  private readonly leaseMs: number
  /** the poller's time in ms; tests replace it to jump past schedules and pauses without sleeping */
  clock: () => number = Date.now

  constructor (private readonly db: Kysely<Database>, readonly jenkins: JenkinsRegistry,
    private readonly log: FastifyBaseLogger, private readonly opts: PollerOptions) {
    this.leaseMs = Math.max(60_000, opts.intervalMs * 4)
    this.monitor = new InstanceMonitor(jenkins, log, { intervalMs: opts.intervalMs }, () => this.clock())
    this.follower = new RunFollower(db, this.monitor, log)
  }

  /** One tick: claim the due builds, move each forward, release them. */
  async runOnce (): Promise<TickReport> {
    const started = performance.now()
    await this.failOrphans()
    const requestsBefore = this.jenkins.requests
    const token = `${this.id}:${++this.tick}`
    const claimed = await this.claim(token, this.clock())
    let finished = 0
    let errors = 0
    // builds still running are released together at the end of the tick: one UPDATE, not one each
    const running: number[] = []
    try {
      await eachLimited(claimed, this.opts.concurrency ?? 32, async (build) => {
        const outcome = await this.pollOne(build, running)
        if (outcome === 'finished') finished++
        if (outcome === 'error') errors++
      })
    } finally {
      await releaseAll(this.db, running, this.clock() + Math.floor(this.opts.intervalMs / 2))
    }
    const requests = this.jenkins.requests - requestsBefore
    return { claimed: claimed.length, finished, errors, requests, ms: Math.round(performance.now() - started) }
  }

  /** Polls one build now (the webhook's COMPLETED), unless a tick holds it; false when it could not be taken. */
  async pollNow (buildId: number): Promise<boolean> {
    const now = this.clock()
    const token = `${this.id}:now:${++this.tick}`
    const build = await claimOne(this.db, buildId, token, now, now + this.leaseMs)
    if (build == null) return false
    await this.pollOne(build)
    return true
  }

  /**
   * A build recorded as Queued whose trigger never finished (the server died while Jenkins was being
   * called) has no queue item to follow: once the trigger would long have timed out, it is failed
   * with a reason rather than left Queued forever.
   */
  private async failOrphans (): Promise<void> {
    const before = Math.floor(this.clock() / 1000) - Math.max(300, 2 * Math.ceil(this.opts.triggerTimeoutMs / 1000))
    for (const o of await findOrphans(this.db, before)) {
      await applyProgress(this.db, { planId: o.plan_id, buildIndex: o.build_index }, [{
        status: 'Fail',
        source: 'poller',
        detail: {
          Reason:
            'the trigger never completed (the server stopped while calling Jenkins); the build may not have started'
        }
      }])
    }
  }

  private async claim (token: string, now: number): Promise<TrackedBuild[]> {
    const down = this.monitor.paused(now)
    const skip = { defaultDown: down.includes(''), named: down.filter((k) => k !== '') }
    return await claimDue(this.db, token, now, now + this.leaseMs, skip)
  }

  /** Follows one build and ends its lease; a build still running goes to `running` instead, when given. */
  private async pollOne (
    build: TrackedBuild, running?: number[]
  ): Promise<'finished' | 'running' | 'error' | 'skipped'> {
    const key = build.jenkins_name ?? ''
    const client = this.jenkins.client(build.jenkins_name)
    if (client == null) {
      await release(this.db, build.id, this.clock() + MAX_BACKOFF_MS, build.poll_errors)
      return 'skipped'
    }
    const pausedUntil = this.monitor.pausedUntil(key)
    if (pausedUntil > this.clock()) {
      await release(this.db, build.id, pausedUntil, build.poll_errors)
      return 'skipped'
    }
    const soon = (): number => this.clock() + Math.floor(this.opts.intervalMs / 2)
    try {
      const finished = await this.follower.follow(client, build)
      this.monitor.markUp(key, client)
      const uncaptured = this.follower.takeUncaptured(build.id)
      if (finished && uncaptured && build.poll_errors < LOG_RETRIES) {
        // ended, but a failed stage's log could not be read: polled again for it, backing off, a few times
        const errors = build.poll_errors + 1
        const backoff = Math.min(MAX_BACKOFF_MS, this.opts.intervalMs * 2 ** errors)
        await release(this.db, build.id, this.clock() + backoff, errors)
        return 'finished'
      }
      if (!finished && running != null) running.push(build.id)
      else await release(this.db, build.id, finished ? POLL_DONE : soon(), 0)
      return finished ? 'finished' : 'running'
    } catch (err) {
      const errors = build.poll_errors + 1
      if (err instanceof LostQueueItem || err instanceof LostRun) {
        // counted towards "lost" at the normal pace, not backed off
        await release(this.db, build.id, soon(), errors)
      } else if (err instanceof StageApiFailed) {
        // this run's problem, not the instance's: it backs off alone, and ends from its api/json
        if (errors === 1) {
          this.log.warn({ build: build.id, reason: err.message }, "a run's stage API fails: backing off for this build")
        }
        const backoff = Math.min(MAX_BACKOFF_MS, this.opts.intervalMs * 2 ** errors)
        await release(this.db, build.id, this.clock() + backoff, errors)
      } else if (err instanceof JenkinsError && isOutage(err)) {
        const until = this.monitor.markDown(key, client, err)
        await release(this.db, build.id, until, build.poll_errors)
      } else {
        this.opts.onError?.(err)
        this.log.warn({ err, build: build.id }, 'polling a build failed')
        const backoff = Math.min(MAX_BACKOFF_MS, this.opts.intervalMs * 2 ** errors)
        await release(this.db, build.id, this.clock() + backoff, errors)
      }
      return 'error'
    }
  }
}

/** Errors that say the instance, not the build, is in trouble: unreachable, timeout, 5xx, credentials. */
function isOutage (err: JenkinsError): boolean {
  return err.statusCode == null || err.statusCode >= 500 || err.statusCode === 401 || err.statusCode === 403
}

async function eachLimited<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
