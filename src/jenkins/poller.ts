import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { type BuildState, JenkinsError, type JenkinsClient, type WfapiRun, WORKFLOW_RUN } from './client.js'
import type { JenkinsRegistry } from './registry.js'
import { applyProgress, MAX_STAGES, type ProgressUpdate } from '../builds/progress.js'
import { claimDue, claimOne, findOrphans, recordRun, release, type TrackedBuild } from '../repositories/builds.js'
import { stageStates } from '../repositories/stages.js'
import { canMove, isTerminal, parseStatus, type Status } from '../builds/status.js'
import { assignNames, fromBlueOcean, fromGraphTree, fromWfapi, type PolledStage } from './stages.js'
import { jobNameFromUrl } from './webhook.js'

// Follows every build Jenkins still has in hand: queue item → build number → stages → result.
// Each tick claims the due builds with one UPDATE (a lease in poll_after/poll_token), so several
// server processes on one database never poll the same build in the same tick. Everything it
// learns goes through applyProgress, the same write path as Build/update and the webhook.

/** poll_after of a build Jenkins has finished with: never polled again */
export const POLL_DONE = Number.MAX_SAFE_INTEGER
/** a queue item gone with no build carrying its id, or a run answering 404, this many ticks in a row: the build is lost */
const LOST_AFTER = 3
/** what an instance offers is probed again after this long (and after it failed) */
const PROBE_TTL_MS = 15 * 60_000
/** /readyz asks each Jenkins at most this often, and waits this long */
const PING_TTL_MS = 30_000
const PING_TIMEOUT_MS = 3000
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

/** Pipeline Graph View `stages/tree`, pipeline-stage-view `wfapi/describe` (+ Blue Ocean), or the run's api/json only */
export type StageSource = 'graph-view' | 'stage-view' | 'none'

interface InstanceSources {
  /** null: not probed yet (or to probe again) */
  stages: StageSource | null
  /** stages/tree answered 404 for a Pipeline run that exists */
  graphAbsent: boolean
  /** with stage view: Blue Ocean answers (null: not asked yet) */
  blueOcean: boolean | null
  probedAt: number
  /** jobs whose runs are not Pipelines (freestyle): no stage API to ask */
  withoutStages: Set<string>
  /** the build probing the instance right now; the others wait for it */
  probing?: Probe
}

interface Probe { promise: Promise<void>, resolve: () => void }

export class Poller {
  readonly id = randomUUID().slice(0, 8)
  private tick = 0
  private readonly instanceHealth = new Map<string, Health>()
  /** per instance (key '' = default): which stage API it offers */
  private readonly sources = new Map<string, InstanceSources>()
  /** per build: the last wfapi answer's ids and statuses; Blue Ocean is asked only when it changes */
  private readonly lastSeen = new Map<number, string>()
  private readonly leaseMs: number
  /** the poller's time in ms; tests replace it to jump past schedules and pauses without sleeping */
  clock: () => number = Date.now

  constructor (private readonly db: Kysely<Database>, readonly jenkins: JenkinsRegistry,
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

  /**
   * Each configured Jenkins for /readyz: `state` is "ok", the poller's pause after failures, or what
   * a cheap authenticated request (`/api/json?tree=mode`, cached PING_TTL_MS, made here only when
   * stale) ran into; `stages` is the stage API the poller found there. Never called on API requests.
   */
  async readiness (): Promise<Record<string, { state: string, stages: string }>> {
    const names = [...(this.jenkins.default == null ? [] : ['']), ...this.jenkins.names()]
    const sources = this.stageSources()
    const entries = await Promise.all(names.map(async (key) => {
      const name = key === '' ? 'default' : key
      const h = this.instanceHealth.get(key)
      let state = h == null || h.failures === 0 ? 'ok' : `failing (${h.failures} errors; paused until ${new Date(h.downUntil).toISOString()})`
      if (state === 'ok') state = await this.ping(key) ?? 'ok'
      return [name, { state, stages: sources[name] ?? 'not probed yet' }] as const
    }))
    return Object.fromEntries(entries)
  }

  private readonly pings = new Map<string, { at: number, error: string | null, pending?: Promise<string | null> }>()

  /** null when the instance answered with our credentials; else why not. One request per PING_TTL_MS at most. */
  private async ping (key: string): Promise<string | null> {
    const client = this.jenkins.client(key === '' ? null : key)
    if (client == null) return 'not configured'
    const last = this.pings.get(key)
    if (last?.pending != null) return await last.pending
    if (last != null && Date.now() - last.at < PING_TTL_MS) return last.error
    const pending = client.ping(Math.min(client.opts.timeoutMs, PING_TIMEOUT_MS)).then(() => null, (err: unknown) =>
      err instanceof JenkinsError ? err.message : String(err))
    this.pings.set(key, { at: last?.at ?? 0, error: last?.error ?? null, pending })
    const error = await pending
    this.pings.set(key, { at: Date.now(), error })
    return error
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
        detail: { Reason: 'the trigger never completed (the server stopped while calling Jenkins); the build may not have started' }
      }])
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
      if (err instanceof LostQueueItem || err instanceof LostRun) {
        // counted towards "lost" at the normal pace, not backed off
        await this.release(build.id, this.clock() + Math.floor(this.opts.intervalMs / 2), errors)
      } else if (err instanceof JenkinsError && isOutage(err)) {
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
        await this.apply(build, { status: 'Aborted', detail: { Reason: 'cancelled in the Jenkins queue', ...this.queueDetail(build, null) } })
        return true
      }
      if (found === 'lost') {
        await this.apply(build, { status: 'Fail', detail: { Reason: `Jenkins queue item ${String(build.queue_id)} vanished and no build of "${job}" came from it` } })
        return true
      }
      number = found.number
      await recordRun(this.db, build.id, found)
      build = { ...build, jenkins_build_number: found.number, jenkins_url: found.url }
      // the queue reason goes once the run exists (null: the write path merges Detail, it cannot remove a key)
      const cleared = this.queueDetail(build, null)
      // (the status stays: the stage source below starts the build at the run's own start time)
      if (Object.keys(cleared).length > 0) await this.apply(build, { status: build.status as Status, detail: cleared })
      if (build.cancel_requested === 1) await client.stopBuild(job, number) // cancelled while it was leaving the queue
    }

    const key = build.jenkins_name ?? ''
    const known: { run?: BuildState | null } = {} // the run's api/json, once a 404 made us ask whether the run exists
    // at most three rounds: a source found missing sends the build to the next one in the same tick
    for (let round = 0; round < 3; round++) {
      const { source, probe } = await this.sourceFor(key, job)
      try {
        const done = await this.followWith(client, build, number, source, probe != null, known)
        if (done != null) return done
      } finally {
        this.settleProbe(key, probe)
      }
    }
    return false
  }

  /** One try with one stage source; null when the instance turned out not to have it (try the next). */
  private async followWith (client: JenkinsClient, build: TrackedBuild, number: number, source: StageSource, probing: boolean,
    known: { run?: BuildState | null }): Promise<boolean | null> {
    const key = build.jenkins_name ?? ''
    try {
      const done = source === 'graph-view'
        ? await this.followGraph(client, build, number)
        : source === 'stage-view'
          ? await this.followStageView(client, build, number)
          : await this.followRun(client, build, number)
      if (probing) this.confirm(key, source)
      return done
    } catch (err) {
      if (!(err instanceof JenkinsError) || err.statusCode !== 404 || source === 'none') throw err
    }
    // the stage API answered 404: is the run gone, or is the API missing?
    const run = known.run !== undefined ? known.run : await this.runOrNull(client, build.job_name, number)
    known.run = run
    if (run == null) return await this.lostRun(client, build, number)
    if (run._class != null && run._class !== WORKFLOW_RUN) {
      // a freestyle run has no stages in any API: it says nothing about the instance
      this.instance(key).withoutStages.add(build.job_name)
      return await this.finishFrom(build, run)
    }
    this.absent(key, source)
    // no stage API at all: the run's api/json is all there is
    return source === 'stage-view' ? await this.finishFrom(build, run) : null
  }

  /** Pipeline Graph View: one request per tick; `complete` sends us to the run for its result. */
  private async followGraph (client: JenkinsClient, build: TrackedBuild, number: number): Promise<boolean> {
    const tree = await client.stagesTree(build.job_name, number)
    const stages = fromGraphTree(tree.stages)
    await this.syncStages(build, stages)
    if (tree.complete) return await this.followRun(client, build, number)
    const status: Status = stages.some((s) => s.status === 'Paused') ? 'Paused' : 'Running'
    if (status !== build.status) await this.apply(build, { status, ...(build.start_time == null && stages[0]?.startMs != null ? { startTime: seconds(stages[0].startMs) } : {}) })
    return false
  }

  /** Stage view: wfapi every tick; Blue Ocean (when installed) only on a tick where wfapi shows a change. */
  private async followStageView (client: JenkinsClient, build: TrackedBuild, number: number): Promise<boolean> {
    const run = await client.describe(build.job_name, number)
    const print = fingerprint(run)
    if (build.status === 'Queued' && run.startTimeMillis != null) {
      // the build starts at the run's start: left to its first stage, it would start at that stage's time
      await this.apply(build, { status: 'Running', startTime: seconds(run.startTimeMillis) })
      build = { ...build, status: 'Running' }
    }
    if (this.lastSeen.get(build.id) !== print) {
      let stages = fromWfapi(run)
      const stored = await this.storedStages(build.id)
      const inst = this.instance(build.jenkins_name ?? '')
      if (inst.blueOcean !== false && needsBlueOcean(run, stored)) {
        const nodes = await client.blueNodes(build.job_name, number)
        if (nodes == null && inst.blueOcean == null) {
          this.log.info({ jenkins: build.jenkins_name ?? 'default' }, 'Blue Ocean not available: wfapi alone gives the stages, each after the previous one')
        }
        inst.blueOcean = nodes != null
        if (nodes != null) stages = fromBlueOcean(nodes, run)
      }
      await this.syncStages(build, stages, stored)
      this.lastSeen.set(build.id, print)
    }
    const status = parseStatus(run.status) ?? 'Running'
    if (!isTerminal(status)) {
      if (status !== build.status) await this.apply(build, { status, startTime: seconds(run.startTimeMillis) })
      return false
    }
    return await this.followRun(client, build, number)
  }

  /** The run's own api/json: Running until `building` is false with a result (the only final word). */
  private async followRun (client: JenkinsClient, build: TrackedBuild, number: number): Promise<boolean> {
    const run = await this.runOrNull(client, build.job_name, number)
    if (run == null) return await this.lostRun(client, build, number)
    return await this.finishFrom(build, run)
  }

  private async finishFrom (build: TrackedBuild, state: BuildState): Promise<boolean> {
    if (state.building || state.result == null) {
      if (build.status === 'Queued') await this.apply(build, { status: 'Running', startTime: seconds(state.timestamp) })
      return false
    }
    this.lastSeen.delete(build.id)
    await this.apply(build, {
      status: parseStatus(state.result) ?? 'Fail',
      startTime: build.start_time ?? seconds(state.timestamp),
      endTime: seconds(state.timestamp + state.duration),
      ...(parseStatus(state.result) == null ? { detail: { JenkinsResult: state.result } } : {})
    })
    return true
  }

  private async runOrNull (client: JenkinsClient, job: string, number: number): Promise<BuildState | null> {
    try {
      return await client.build(job, number)
    } catch (err) {
      if (err instanceof JenkinsError && err.statusCode === 404) return null
      throw err
    }
  }

  /**
   * The run answers 404: deleted (log rotation, a person) or its job deleted or renamed. With the job
   * gone it ends now; else after LOST_AFTER ticks in a row. Aborted, and never polled again.
   */
  private async lostRun (client: JenkinsClient, build: TrackedBuild, number: number): Promise<boolean> {
    const job = build.job_name
    const jobThere = await client.jobExists(job)
    const misses = build.poll_errors + 1
    if (jobThere && misses < LOST_AFTER) throw new LostRun(misses)
    this.lastSeen.delete(build.id)
    // a build that already ended (the pipeline reported it) keeps its result
    if (!isTerminal(build.status as Status)) {
      const reason = jobThere
        ? `Jenkins no longer has run #${number} of "${job}" (deleted by log rotation or by hand); it answered 404 ${misses} times`
        : `the Jenkins job "${job}" no longer exists (deleted or renamed); run #${number} went with it`
      await this.apply(build, { status: 'Aborted', detail: { Reason: reason } })
    }
    return true
  }

  /** Where a queued build is: still waiting (its reason recorded), cancelled, lost, or the run it became. */
  private async findRun (client: JenkinsClient, build: TrackedBuild): Promise<'waiting' | 'cancelled' | 'lost' | { number: number, url: string }> {
    const queueId = build.queue_id as number
    try {
      const item = await client.queueItem(queueId)
      // queue ids are per instance and roll back after a crash: an item of another job is not ours
      if (item.taskUrl == null || jobNameFromUrl(new URL(item.taskUrl, client.baseUrl).pathname) === build.job_name) {
        if (item.cancelled) return 'cancelled'
        if (item.executable != null) return item.executable
        // waiting, blocked, buildable, or the moment between leaving the queue and the build existing
        if (item.why != null) {
          const detail = this.queueDetail(build, { why: item.why, stuck: item.stuck })
          if (Object.keys(detail).length > 0) await this.apply(build, { status: 'Queued', detail })
        }
        return 'waiting'
      }
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

  /** The Detail keys that move the build's QueueReason/Stuck to `now` (null = gone); {} when nothing changes. */
  private queueDetail (build: TrackedBuild, now: { why: string, stuck: boolean } | null): Record<string, unknown> {
    const d = JSON.parse(build.detail) as { QueueReason?: string | null, Stuck?: boolean | null }
    const out: Record<string, unknown> = {}
    const why = now?.why ?? null
    const stuck = now?.stuck === true ? true : null
    if ((d.QueueReason ?? null) !== why) out.QueueReason = why
    if ((d.Stuck ?? null) !== stuck) out.Stuck = stuck
    return out
  }

  /** Writes the stages Jenkins shows that differ from what the database has, matched by Jenkins node id. */
  private async syncStages (build: TrackedBuild, stages: PolledStage[], stored?: StoredStage[]): Promise<void> {
    if (stages.length === 0) return
    stored ??= await this.storedStages(build.id)
    const names = assignNames(stages, stored)
    const byName = new Map(stored.map((s) => [s.name, s]))
    const seen = new Set(byName.keys())
    let count = stored.length
    for (const s of stages) {
      const name = names.get(s.nodeId) as string
      // past the cap the write path refuses a new stage (1001): leave it out rather than fail every tick
      if (!byName.has(name)) {
        if (count >= MAX_STAGES) continue
        count++
      }
      const startTime = s.startMs == null ? undefined : seconds(s.startMs)
      const endTime = s.endMs == null ? undefined : seconds(s.endMs)
      const have = byName.get(name)
      const reason = s.queueReason ?? null
      const same = have != null && (have.status === s.status || !canMove(have.status as Status, s.status)) &&
        (startTime == null || have.start_time === startTime) && (endTime == null || have.end_time === endTime) &&
        have.nodeId === s.nodeId && have.queueReason === reason
      if (!same) {
        const pre = have == null ? s.pre.map((id) => names.get(id)).filter((n): n is string => n != null && seen.has(n)) : undefined
        await this.apply(build, {
          stageName: name,
          status: s.status,
          startTime,
          endTime,
          preStageNames: pre,
          detail: {
            JenkinsNodeID: s.nodeId,
            ...(build.jenkins_url == null ? {} : { URL: `${build.jenkins_url}console` }),
            ...(s.error == null ? {} : { Error: s.error }),
            ...((have?.queueReason ?? null) !== reason ? { QueueReason: reason } : {})
          }
        })
      }
      seen.add(name)
    }
  }

  private async storedStages (buildId: number): Promise<StoredStage[]> {
    return (await stageStates(this.db, buildId)).map((s) => {
      const detail = JSON.parse(s.detail) as { JenkinsNodeID?: unknown, QueueReason?: unknown }
      return { ...s, nodeId: detail.JenkinsNodeID == null ? null : String(detail.JenkinsNodeID as string), queueReason: detail.QueueReason ?? null }
    })
  }

  // ---- what each instance offers, probed on the first run followed there ----

  private instance (key: string): InstanceSources {
    let inst = this.sources.get(key)
    if (inst == null) {
      inst = { stages: null, graphAbsent: false, blueOcean: null, probedAt: 0, withoutStages: new Set() }
      this.sources.set(key, inst)
    }
    return inst
  }

  /** The stage source to use for a run of `job`; with `probe` while this build probes the instance (the others wait for it). */
  private async sourceFor (key: string, job: string): Promise<{ source: StageSource, probe?: Probe }> {
    const inst = this.instance(key)
    if (inst.withoutStages.has(job)) return { source: 'none' }
    while (inst.probing != null) await inst.probing.promise
    if (inst.stages != null && this.clock() - inst.probedAt < PROBE_TTL_MS) return { source: inst.stages }
    if (inst.stages != null) { // stale: probe again from the top
      inst.stages = null
      inst.graphAbsent = false
      inst.blueOcean = null
    }
    let release = (): void => {}
    const promise = new Promise<void>((resolve) => { release = resolve })
    const probe = { promise, resolve: release }
    inst.probing = probe
    return { source: inst.graphAbsent ? 'stage-view' : 'graph-view', probe }
  }

  private confirm (key: string, source: StageSource): void {
    const inst = this.instance(key)
    if (inst.stages !== source) this.log.info({ jenkins: key || 'default', stages: source }, 'Jenkins stage source')
    inst.stages = source
    inst.probedAt = this.clock()
  }

  /** Ends this build's probe (whatever happened to it); the builds waiting go on. */
  private settleProbe (key: string, probe: Probe | undefined): void {
    if (probe == null) return
    const inst = this.instance(key)
    if (inst.probing === probe) inst.probing = undefined
    probe.resolve()
  }

  /** `source` answered 404 for a Pipeline run that exists: the instance lacks it; the next source is tried, by this build. */
  private absent (key: string, source: StageSource): void {
    const inst = this.instance(key)
    if (source === 'graph-view') {
      inst.graphAbsent = true
      inst.stages = null
    } else {
      inst.stages = 'none' // neither graph view nor stage view: the run's api/json only
      inst.probedAt = this.clock()
      inst.blueOcean = null
    }
  }

  /** What each instance offers for stages, for /readyz. */
  stageSources (): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [key, inst] of this.sources) {
      const name = key === '' ? 'default' : key
      out[name] = inst.stages === 'stage-view' ? (inst.blueOcean === true ? 'stage-view+blue-ocean' : inst.blueOcean === false ? 'stage-view' : 'stage-view (Blue Ocean not probed yet)') : inst.stages ?? 'not probed yet'
    }
    return out
  }

  private async apply (build: TrackedBuild, u: ProgressUpdate): Promise<void> {
    const plan = { planId: build.plan_id, buildIndex: build.build_index }
    const jenkins = build.jenkins_build_number == null ? undefined : { buildNumber: build.jenkins_build_number, url: build.jenkins_url ?? undefined }
    await applyProgress(this.db, plan, [{ ...u, jenkins, source: 'poller' }])
  }

  private async release (id: number, pollAfter: number, errors: number): Promise<void> {
    await release(this.db, id, pollAfter, errors)
  }

  private markDown (key: string, client: JenkinsClient, err: JenkinsError): number {
    const h = this.instanceHealth.get(key) ?? { failures: 0, downUntil: 0 }
    const wasUp = h.failures === 0
    h.failures++
    const inst = this.sources.get(key)
    if (inst != null && inst.probing == null) { inst.stages = null; inst.graphAbsent = false; inst.blueOcean = null } // it may come back with other plugins
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

/** Not an outage: the run answers 404 while its job answers; counted towards "lost". */
class LostRun extends Error {
  constructor (readonly misses: number) { super(`run answers 404 (${misses}/${LOST_AFTER})`) }
}

interface StoredStage { name: string, status: string, start_time: number | null, end_time: number | null, nodeId: string | null, queueReason: unknown }

/**
 * Blue Ocean is needed for what wfapi gets wrong: new stages (edges; a parallel branch's wfapi id is
 * never the one stored), and skipped-for-failure stages (any failure, or a run that did not pass).
 * Otherwise wfapi's ids are the stored ones and its statuses are right.
 */
function needsBlueOcean (run: WfapiRun, stored: StoredStage[]): boolean {
  if (run.stages.length === 0) return false
  const known = new Set(stored.map((s) => s.nodeId))
  if (run.stages.some((s) => !known.has(String(s.id)))) return true
  const status = parseStatus(run.status) ?? 'Running'
  if (isTerminal(status) && status !== 'Pass') return true
  return run.stages.some((s) => { const st = parseStatus(s.status); return st === 'Fail' || st === 'Unstable' || st === 'Aborted' })
}

/** What a wfapi answer says that can change a stage: ids and statuses (durations of running stages grow every tick). */
function fingerprint (run: WfapiRun): string {
  return run.status + '|' + run.stages.map((s) => `${s.id}:${s.status}`).join(',')
}

/** Errors that say the instance, not the build, is in trouble: unreachable, timeout, 5xx, credentials. */
function isOutage (err: JenkinsError): boolean {
  return err.statusCode == null || err.statusCode >= 500 || err.statusCode === 401 || err.statusCode === 403
}

const seconds = (ms: number): number => Math.floor(ms / 1000)

async function eachLimited<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
