import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { type BlueNode, JenkinsError, type JenkinsClient, type WfapiRun } from './client.js'
import type { JenkinsRegistry } from './registry.js'
import { applyProgress, type ProgressUpdate } from '../builds/progress.js'
import { claimDue, claimOne, findOrphans, recordRun, release, type TrackedBuild } from '../repositories/builds.js'
import { stageStates } from '../repositories/stages.js'
import { canMove, isTerminal, parseStatus, type Status } from '../builds/status.js'

// Follows every build Jenkins still has in hand: queue item → build number → stages → result.
// Each tick claims the due builds with one UPDATE (a lease in poll_after/poll_token), so several
// server processes on one database never poll the same build in the same tick. Everything it
// learns goes through applyProgress, the same write path as Build/update and the webhook.

/** poll_after of a build Jenkins has finished with: never polled again */
export const POLL_DONE = Number.MAX_SAFE_INTEGER
/** a queue item gone with no build carrying its id, this many times in a row: the build is lost */
const LOST_AFTER = 3
const MAX_BACKOFF_MS = 5 * 60_000
const MAX_PAUSE_MS = 60_000

export interface PollerOptions {
  intervalMs: number
  /** JENKINS_TIMEOUT_MS: how long a trigger may take */
  triggerTimeoutMs: number
  /** builds polled at the same time */
  concurrency?: number
}

export interface TickReport {
  claimed: number
  finished: number
  errors: number
  /** Jenkins requests made during the tick, over every instance */
  requests: number
  ms: number
}

interface Health { failures: number, downUntil: number }

export class Poller {
  readonly id = randomUUID().slice(0, 8)
  private tick = 0
  private readonly instanceHealth = new Map<string, Health>()
  /** instances that answered 404 for Blue Ocean: the stage DAG falls back to "previous stage" */
  private readonly withoutBlueOcean = new Set<string>()
  private readonly leaseMs: number
  /** the poller's time in ms; tests replace it to jump past schedules and pauses without sleeping */
  clock: () => number = Date.now

  constructor (private readonly db: Kysely<Database>, private readonly jenkins: JenkinsRegistry,
    private readonly log: FastifyBaseLogger, private readonly opts: PollerOptions) {
    this.leaseMs = Math.max(60_000, opts.intervalMs * 4)
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
    await eachLimited(claimed, this.opts.concurrency ?? 16, async (build) => {
      const outcome = await this.pollOne(build)
      if (outcome === 'finished') finished++
      if (outcome === 'error') errors++
    })
    return { claimed: claimed.length, finished, errors, requests: this.jenkins.requests - requestsBefore, ms: Math.round(performance.now() - started) }
  }

  /** Each configured Jenkins as the poller last saw it: up, or down until when. No request is made. */
  health (): Record<string, string> {
    const names = [...(this.jenkins.default == null ? [] : ['']), ...this.jenkins.names()]
    return Object.fromEntries(names.map((key) => {
      const h = this.instanceHealth.get(key)
      const state = h == null || h.failures === 0 ? 'ok' : `failing (${h.failures} errors; paused until ${new Date(h.downUntil).toISOString()})`
      return [key === '' ? 'default' : key, state]
    }))
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
      await applyProgress(this.db, {
        planId: o.plan_id,
        buildIndex: o.build_index,
        status: 'Fail',
        source: 'poller',
        detail: { Reason: 'the trigger never completed (the server stopped while calling Jenkins); the build may not have started' }
      })
    }
  }

  private async claim (token: string, now: number): Promise<TrackedBuild[]> {
    const down = [...this.instanceHealth.entries()].filter(([, h]) => h.downUntil > now).map(([key]) => key)
    return await claimDue(this.db, token, now, now + this.leaseMs, { defaultDown: down.includes(''), named: down.filter((k) => k !== '') })
  }

  private async pollOne (build: TrackedBuild): Promise<'finished' | 'running' | 'error' | 'skipped'> {
    const key = build.jenkins_name ?? ''
    const client = this.jenkins.client(build.jenkins_name)
    if (client == null) {
      await this.release(build.id, this.clock() + MAX_BACKOFF_MS, build.poll_errors)
      return 'skipped'
    }
    if ((this.instanceHealth.get(key)?.downUntil ?? 0) > this.clock()) {
      await this.release(build.id, this.instanceHealth.get(key)?.downUntil ?? 0, build.poll_errors)
      return 'skipped'
    }
    try {
      const finished = await this.follow(client, build)
      this.markUp(key, client)
      await this.release(build.id, finished ? POLL_DONE : this.clock() + Math.floor(this.opts.intervalMs / 2), 0)
      return finished ? 'finished' : 'running'
    } catch (err) {
      const errors = build.poll_errors + 1
      if (err instanceof JenkinsError && isOutage(err)) {
        const until = this.markDown(key, client, err)
        await this.release(build.id, until, build.poll_errors)
      } else {
        this.log.warn({ err, build: build.id }, 'polling a build failed')
        await this.release(build.id, this.clock() + Math.min(MAX_BACKOFF_MS, this.opts.intervalMs * 2 ** errors), errors)
      }
      return 'error'
    }
  }

  /** Moves one build forward; true once Jenkins is done with it. */
  private async follow (client: JenkinsClient, build: TrackedBuild): Promise<boolean> {
    const job = build.job_name
    let number = build.jenkins_build_number
    if (number == null) {
      const found = await this.findRun(client, build)
      if (found === 'waiting') return false
      if (found === 'cancelled') {
        await this.apply(build, { status: 'Aborted', detail: { Reason: 'cancelled in the Jenkins queue' } })
        return true
      }
      if (found === 'lost') {
        await this.apply(build, { status: 'Fail', detail: { Reason: `Jenkins queue item ${String(build.queue_id)} vanished and no build of "${job}" came from it` } })
        return true
      }
      number = found.number
      await recordRun(this.db, build.id, found)
      build = { ...build, jenkins_build_number: found.number, jenkins_url: found.url }
      if (build.cancel_requested === 1) await client.stopBuild(job, number) // cancelled while it was leaving the queue
    }

    const run = await client.describe(job, number)
    if (run != null) await this.syncStages(client, build, number, run)
    if (run != null && !isTerminal(parseStatus(run.status) ?? 'Running')) {
      const status = parseStatus(run.status) ?? 'Running'
      if (status !== build.status) await this.apply(build, { status, startTime: seconds(run.startTimeMillis) })
      return false
    }
    // the run looks over (or the job has no stages API): only building:false with a result is final
    const state = await client.build(job, number)
    if (state.building || state.result == null) {
      if (build.status === 'Queued') await this.apply(build, { status: 'Running', startTime: seconds(state.timestamp) })
      return false
    }
    await this.apply(build, {
      status: parseStatus(state.result) ?? 'Fail',
      startTime: build.start_time ?? seconds(state.timestamp),
      endTime: seconds(state.timestamp + state.duration),
      ...(parseStatus(state.result) == null ? { detail: { JenkinsResult: state.result } } : {})
    })
    return true
  }

  /** Where a queued build is: still waiting, cancelled, lost, or the run it became. */
  private async findRun (client: JenkinsClient, build: TrackedBuild): Promise<'waiting' | 'cancelled' | 'lost' | { number: number, url: string }> {
    const queueId = build.queue_id as number
    try {
      const item = await client.queueItem(queueId)
      if (item.cancelled) return 'cancelled'
      // a LeftItem with executable null is the moment between leaving the queue and the build existing
      return item.executable ?? 'waiting'
    } catch (err) {
      if (!(err instanceof JenkinsError) || err.statusCode !== 404) throw err
    }
    // queue items vanish 5 minutes after leaving the queue, and on restart: look for the build itself
    const run = await client.buildByQueueId(build.job_name, queueId)
    if (run != null) return run
    const misses = build.poll_errors + 1
    if (misses >= LOST_AFTER) return 'lost'
    throw new LostQueueItem(misses)
  }

  /** Writes the stages Jenkins shows that differ from what the database has. */
  private async syncStages (client: JenkinsClient, build: TrackedBuild, number: number, run: WfapiRun): Promise<void> {
    if (run.stages.length === 0) return
    const known = new Map((await stageStates(this.db, build.id)).map((s) => [s.name, s]))
    const fresh = run.stages.filter((s) => !known.has(s.name.trim()))
    const predecessors = fresh.length > 0 ? await this.stageGraph(client, build, number) : null

    const seen = new Set(known.keys())
    for (const s of run.stages) {
      const name = s.name.trim()
      const status = parseStatus(s.status) ?? 'Running'
      const startTime = s.startTimeMillis > 0 ? seconds(s.startTimeMillis) : undefined
      const endTime = isTerminal(status) && startTime != null ? seconds(s.startTimeMillis + s.durationMillis) : undefined
      const have = known.get(name)
      const same = have != null && (have.status === status || !canMove(have.status as Status, status)) &&
        (startTime == null || have.start_time === startTime) && (endTime == null || have.end_time === endTime)
      if (!same) {
        const pre = have == null ? predecessors?.get(name)?.filter((p) => seen.has(p)) : undefined
        await this.apply(build, {
          stageName: name,
          status,
          startTime,
          endTime,
          preStageNames: pre,
          detail: {
            JenkinsNodeID: s.id,
            ...(build.jenkins_url == null ? {} : { URL: `${build.jenkins_url}console` }),
            ...(s.error?.message == null ? {} : { Error: s.error.message })
          }
        })
      }
      seen.add(name)
    }
  }

  /** Stage name → names of its predecessors, from Blue Ocean's edges; null without Blue Ocean. */
  private async stageGraph (client: JenkinsClient, build: TrackedBuild, number: number): Promise<Map<string, string[]> | null> {
    const key = build.jenkins_name ?? ''
    if (this.withoutBlueOcean.has(key)) return null
    const nodes = await client.blueNodes(build.job_name, number)
    if (nodes == null) {
      this.withoutBlueOcean.add(key)
      this.log.info({ jenkins: key || 'default' }, 'Blue Ocean not available: stages follow each other in order')
      return null
    }
    return predecessorsByName(nodes)
  }

  private async apply (build: TrackedBuild, u: Omit<ProgressUpdate, 'planId' | 'buildIndex'>): Promise<void> {
    const plan = { planId: build.plan_id, buildIndex: build.build_index }
    const jenkins = build.jenkins_build_number == null ? undefined : { buildNumber: build.jenkins_build_number, url: build.jenkins_url ?? undefined }
    await applyProgress(this.db, { ...plan, ...u, jenkins, source: 'poller' })
  }

  private async release (id: number, pollAfter: number, errors: number): Promise<void> {
    await release(this.db, id, pollAfter, errors)
  }

  private markDown (key: string, client: JenkinsClient, err: JenkinsError): number {
    const h = this.instanceHealth.get(key) ?? { failures: 0, downUntil: 0 }
    const wasUp = h.failures === 0
    h.failures++
    h.downUntil = this.clock() + Math.min(MAX_PAUSE_MS, this.opts.intervalMs * 2 ** (h.failures - 1))
    this.instanceHealth.set(key, h)
    if (wasUp) this.log.warn({ jenkins: client.opts.name ?? 'default', reason: err.message }, 'Jenkins is failing: pausing its polls')
    return h.downUntil
  }

  private markUp (key: string, client: JenkinsClient): void {
    const h = this.instanceHealth.get(key)
    if (h == null || h.failures === 0) return
    this.instanceHealth.set(key, { failures: 0, downUntil: 0 })
    this.log.info({ jenkins: client.opts.name ?? 'default' }, 'Jenkins answers again: polling resumed')
  }
}

/** Not an outage: the queue item is gone and the build is not listed yet; counted towards "lost". */
class LostQueueItem extends Error {
  constructor (readonly misses: number) { super(`queue item gone, no build found yet (${misses}/${LOST_AFTER})`) }
}

/** Errors that say the instance, not the build, is in trouble: unreachable, timeout, 5xx, credentials. */
function isOutage (err: JenkinsError): boolean {
  return err.statusCode == null || err.statusCode >= 500 || err.statusCode === 401 || err.statusCode === 403
}

export function predecessorsByName (nodes: BlueNode[]): Map<string, string[]> {
  const real = nodes.filter((n) => n.state != null) // future nodes copied from the last run do not count
  const byId = new Map(real.map((n) => [n.id, n.displayName.trim()]))
  const pre = new Map<string, string[]>(real.map((n) => [n.displayName.trim(), []]))
  for (const n of real) {
    for (const e of n.edges ?? []) {
      const next = byId.get(e.id)
      if (next != null) pre.get(next)?.push(n.displayName.trim())
    }
  }
  return pre
}

const seconds = (ms: number): number => Math.floor(ms / 1000)

async function eachLimited<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
