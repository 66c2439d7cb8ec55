import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import {
  type GraphViewPath,
  type RunState,
  JenkinsError,
  type JenkinsClient,
  WORKFLOW_RUN
} from '../jenkins/client.js'
import type { InstanceMonitor, StageSource } from '../jenkins/instance-monitor.js'
import type { StageLogSource } from '../jenkins/stage-log.js'
import {
  assignNames,
  fromBlueOcean,
  fromGraphTree,
  fromWfapi,
  placeholderOf,
  type PolledStage
} from '../jenkins/stages.js'
import { isOwnQueueItem, orNull404 } from '../jenkins/urls.js'
import { applyProgress, MAX_STAGES, type ProgressUpdate } from './progress.js'
import { captureStageLogs } from './stage-logs.js'
import type { TrackedBuild } from '../repositories/builds.js'
import { type StoredStage, storedStages } from '../repositories/stages.js'
import { canMove, isTerminal, parseStatus, type Status } from '../status.js'
import { plausibleTimeMs } from '../lib/bounds.js'
import { LOST_AFTER, LostQueueItem, LostRun, RunUnreadable, StageApiFailed } from './follow-errors.js'
import {
  fingerprint, needsBlueOcean, queueDetail, recordedSince, runStatus, seconds, takesName
} from './run-rules.js'

// Follows one build through Jenkins: its queue item → the run it became → the run's stages → its
// result. Each call moves the build as far as Jenkins shows now; everything learnt goes through
// applyProgress, the same write path as Build/update and the webhook.

/** How long the check that Jenkins itself answers may take */
const PING_TIMEOUT_MS = 3000

export class RunFollower {
  /** per build: the last wfapi answer's ids and statuses; Blue Ocean is asked only when it changes */
  private readonly lastSeen = new Map<number, string>()
  /** per build being followed: what it learnt, written in one applyProgress call when the poll ends */
  private readonly pending = new Map<number, ProgressUpdate[]>()
  /** builds whose last poll could not capture a failed stage's log (Jenkins failed that request) */
  private readonly uncaptured = new Set<number>()

  constructor (
    private readonly db: Kysely<Database>,
    private readonly monitor: InstanceMonitor,
    private readonly log: FastifyBaseLogger
  ) {}

  /** Moves one build forward, in one transaction however much changed; true once Jenkins is done with it. */
  async follow (client: JenkinsClient, build: TrackedBuild): Promise<boolean> {
    const pending: ProgressUpdate[] = []
    this.pending.set(build.id, pending)
    this.uncaptured.delete(build.id)
    let done: boolean
    try {
      done = await this.move(client, build)
    } catch (err) {
      // what was learnt before the failure is kept, as when each change was written at once
      await this.flush(build).catch((e: unknown) => {
        this.log.warn({ err: e, build: build.id }, 'recording a poll failed')
      })
      throw err
    } finally {
      this.pending.delete(build.id)
    }
    await this.flush(build, pending)
    return done
  }

  private async move (client: JenkinsClient, build: TrackedBuild): Promise<boolean> {
    const job = build.job_name
    let number = build.jenkins_build_number
    if (number == null) {
      const found = await this.findRun(client, build)
      if (found === 'waiting') return false
      if (found === 'cancelled') {
        await this.apply(build, {
          status: 'Aborted',
          detail: { Reason: 'cancelled in the Jenkins queue', ...queueDetail(build, null) }
        })
        return true
      }
      if (found === 'lost') {
        const reason = `Jenkins queue item ${String(build.queue_id)} vanished and no run of "${job}" came from it`
        await this.apply(build, { status: 'Fail', detail: { Reason: reason } })
        return true
      }
      number = found.number
      build = { ...build, jenkins_build_number: found.number, jenkins_url: found.url }
      // the run's number and URL go with this poll's other writes (apply adds them), the queue reason goes
      // (null: the write path merges Detail, it cannot remove a key); the status stays: the stage source
      // below starts the build at the run's own start time
      await this.apply(build, { status: build.status as Status, detail: queueDetail(build, null) })
      if (build.cancel_requested === 1) await client.stopRun(job, number) // cancelled while it was leaving the queue
    }

    const key = build.jenkins_name ?? ''
    const known: { run?: RunState | null } = {} // the run's api/json, once a 404 made us ask whether the run exists
    // at most three rounds: a source found missing sends the run to the next one in the same poll
    for (let round = 0; round < 3; round++) {
      const { source, probe } = await this.monitor.sourceFor(key, job)
      try {
        const done = await this.followWith(client, build, number, source, probe != null, known)
        if (done != null) return done
      } finally {
        this.monitor.settleProbe(key, probe)
      }
    }
    return false
  }

  /** One try with one stage source; null when the instance turned out not to have it (try the next). */
  private async followWith (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    source: StageSource,
    probing: boolean,
    known: { run?: RunState | null }
  ): Promise<boolean | null> {
    const key = build.jenkins_name ?? ''
    // read before the call: the URL stagesTree asks (another build may change what the client remembers meanwhile)
    const graphAt = source === 'graph-view' ? client.graphViewPath : null
    try {
      const done =
        source === 'graph-view'
          ? await this.followGraph(client, build, number)
          : source === 'stage-view'
            ? await this.followStageView(client, build, number)
            : await this.followRun(client, build, number)
      if (probing) this.monitor.confirm(key, source)
      return done
    } catch (err) {
      if (!(err instanceof JenkinsError)) throw err
      if (source === 'none') {
        // the run's api/json is all there is: a failure there (403 from a folder's authorization, 500
        // from one broken run, a timeout on a huge one) while Jenkins itself answers is this run's, not
        // the instance's: it backs off alone
        if (err.statusCode !== 404 && await this.answers(client)) {
          throw new StageApiFailed(err, `the run's api/json answers ${err.message}; Jenkins answers`)
        }
        if (err.statusCode !== 404) throw err
      }
      if (err.statusCode !== 404) return await this.afterStageApiFailure(client, build, number, err)
    }
    // the stage API answered 404: is the run gone, or is the API missing?
    const run = known.run !== undefined ? known.run : await orNull404(client.run(build.job_name, number))
    known.run = run
    if (run == null) return await this.lostRun(client, build, number)
    if (run._class != null && run._class !== WORKFLOW_RUN) {
      // a freestyle run has no stages in any API: it says nothing about the instance
      this.monitor.withoutStages(key, build.job_name)
      return await this.finishFrom(build, run)
    }
    if (graphAt != null) {
      const moved = await this.graphViewMoved(client, build, number, graphAt)
      if (moved != null) return moved
    }
    this.monitor.absent(key, source)
    // no stage API at all: the run's api/json is all there is
    return source === 'stage-view' ? await this.finishFrom(build, run) : null
  }

  /**
   * Graph view answered 404 at the URL that served this instance before, for a run that exists: Jenkins may
   * have restarted on another release of the plugin (`stages` since 777), so its other URLs are tried before
   * the instance is said to lack it. null when none answers.
   */
  private async graphViewMoved (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    failed: GraphViewPath
  ): Promise<boolean | null> {
    try {
      const done = await this.followGraph(client, build, number, failed)
      this.log.info(
        { jenkins: build.jenkins_name ?? 'default', from: failed, to: client.graphViewPath },
        'Pipeline Graph View moved its URL (plugin updated)'
      )
      this.monitor.confirm(build.jenkins_name ?? '', 'graph-view')
      return done
    } catch (err) {
      if (!(err instanceof JenkinsError)) throw err
      if (err.statusCode !== 404) return await this.afterStageApiFailure(client, build, number, err)
      return null
    }
  }

  /**
   * The stage API of this run failed but not with 404: when the run's own api/json answers, the
   * instance is fine and this run is the problem: it ends from api/json when Jenkins is done with
   * it, else it backs off (StageApiFailed). When api/json fails too, the instance is in trouble,
   * unless Jenkins itself answers: then it is this job (RunUnreadable, backing off the same way).
   */
  private async afterStageApiFailure (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    err: JenkinsError
  ): Promise<boolean> {
    let run: RunState | null
    try {
      run = await orNull404(client.run(build.job_name, number))
    } catch (runErr) {
      if (!(runErr instanceof JenkinsError)) throw runErr
      throw await this.answers(client) ? new RunUnreadable(err, runErr) : err
    }
    if (run == null) return await this.lostRun(client, build, number)
    if (!run.building && run.result != null) {
      // no stage API will say how the stages last seen going ended: left alone they would stay Running for ever
      await this.endOpenStages(build, [], `the run ended while Jenkins' stage API failed for it (${err.message}): ` +
        'how this stage ended is unknown')
    }
    if (await this.finishFrom(build, run)) {
      this.log.info({ build: build.id, reason: err.message }, 'stage API failed for this run: ended from its api/json')
      return true
    }
    throw new StageApiFailed(err)
  }

  /** Whether Jenkins itself answers with our credentials (its root API), whatever one job says. */
  private async answers (client: JenkinsClient): Promise<boolean> {
    return await client.ping(Math.min(client.opts.timeoutMs, PING_TIMEOUT_MS)).then(() => true, () => false)
  }

  /** Whether the build's last poll left a failed stage's log uncaptured; asking forgets it. */
  takeUncaptured (buildId: number): boolean {
    return this.uncaptured.delete(buildId)
  }

  /** Pipeline Graph View: one request per poll; `complete` sends us to the run for its result. */
  private async followGraph (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    except?: GraphViewPath
  ): Promise<boolean> {
    const tree = await client.stagesTree(build.job_name, number, except)
    const stages = fromGraphTree(tree.stages)
    await this.syncStages(client, build, number, stages, {
      kind: 'graph-view',
      prefix: client.graphViewPath ?? 'stages'
    })
    if (tree.complete) {
      await this.endOpenStages(build, stages, 'the run completed and Jenkins no longer reports this stage')
      // only the placeholder: the run ended before any stage began (an early failure)
      const placeholder = stages.length === 0 ? placeholderOf(tree.stages) : undefined
      const state = placeholder?.state.toLowerCase()
      const early =
        state === 'failure' || state === 'aborted' || state === 'unstable'
          ? `the run ${state === 'failure' ? 'failed' : state === 'aborted' ? 'was aborted' : 'ended unstable'} ` +
            'before any stage ' +
            `began (Jenkins shows only its start, "${placeholder?.name ?? ''}"): see its console`
          : undefined
      return await this.followRun(client, build, number, early)
    }
    const status: Status = stages.some((s) => s.status === 'Paused') ? 'Paused' : 'Running'
    if (status !== build.status) {
      const first = stages[0]?.startMs
      await this.apply(build, {
        status,
        ...(build.start_time == null && first != null ? { startTime: seconds(first) } : {})
      })
    }
    return false
  }

  /** Stage view: wfapi every poll; Blue Ocean (when installed) only on a poll where wfapi shows a change. */
  private async followStageView (client: JenkinsClient, build: TrackedBuild, number: number): Promise<boolean> {
    const run = await client.describe(build.job_name, number)
    const print = fingerprint(run)
    // times from Jenkins are used only when they are times (2000–2100)
    const runStart = plausibleTimeMs(run.startTimeMillis)
    if (build.status === 'Queued' && run.startTimeMillis != null) {
      // the build starts at the run's start: left to its first stage, it would start at that stage's time
      await this.apply(build, { status: 'Running', ...(runStart == null ? {} : { startTime: seconds(runStart) }) })
      build = { ...build, status: 'Running' }
    }
    if (this.lastSeen.get(build.id) !== print) {
      let stages = fromWfapi(run)
      const stored = await this.storedStages(build)
      const key = build.jenkins_name ?? ''
      const blueOcean = this.monitor.blueOcean(key)
      if (blueOcean !== false && needsBlueOcean(run, stored)) {
        const nodes = await client.blueNodes(build.job_name, number)
        if (nodes == null && blueOcean == null) {
          this.log.info(
            { jenkins: build.jenkins_name ?? 'default' },
            'Blue Ocean not available: wfapi alone gives the stages, each after the previous one'
          )
        }
        this.monitor.setBlueOcean(key, nodes != null)
        if (nodes != null) stages = fromBlueOcean(nodes, run)
      }
      const logs: StageLogSource = this.monitor.blueOcean(key) === true ? { kind: 'blue-ocean' } : { kind: 'wfapi' }
      await this.syncStages(client, build, number, stages, logs, stored)
      this.lastSeen.set(build.id, print)
    }
    const status = parseStatus(run.status) ?? 'Running'
    if (!isTerminal(status)) {
      if (status !== build.status) {
        await this.apply(build, { status, ...(runStart == null ? {} : { startTime: seconds(runStart) }) })
      }
      return false
    }
    return await this.followRun(client, build, number)
  }

  /**
   * The run completed: a stored stage that is not final and that is not among `reported` (a stage
   * recorded from an earlier answer that graph view's final one dropped, or any stage when the stage
   * API failed) would stay Running for ever; it ends Aborted with `reason`.
   */
  private async endOpenStages (build: TrackedBuild, reported: PolledStage[], reason: string): Promise<void> {
    const stored = await this.storedStages(build)
    const open = stored.filter((s) => !isTerminal(s.status as Status))
    if (open.length === 0) return
    const names = new Set(assignNames(reported, stored).values())
    for (const s of open) {
      if (names.has(s.name)) continue
      await this.apply(build, {
        stageName: s.name,
        status: 'Aborted',
        detail: { Reason: reason }
      })
    }
  }

  /** The run's own api/json: Running until `building` is false with a result (the only final word). */
  private async followRun (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    reason?: string
  ): Promise<boolean> {
    const run = await orNull404(client.run(build.job_name, number))
    if (run == null) return await this.lostRun(client, build, number)
    return await this.finishFrom(build, run, reason)
  }

  private async finishFrom (build: TrackedBuild, run: RunState, reason?: string): Promise<boolean> {
    // times from Jenkins are used only when they are times (2000–2100)
    const started = plausibleTimeMs(run.timestamp)
    if (run.building || run.result == null) {
      if (build.status === 'Queued') {
        await this.apply(build, { status: 'Running', startTime: started == null ? undefined : seconds(started) })
      }
      return false
    }
    this.lastSeen.delete(build.id)
    const ended =
      started == null ? undefined : plausibleTimeMs(started + (Number.isFinite(run.duration) ? run.duration : 0))
    const status = runStatus(run.result)
    const keepWord = status !== parseStatus(run.result) // NOT_BUILT, or a word we do not know
    await this.apply(build, {
      status,
      startTime: build.start_time ?? (started == null ? undefined : seconds(started)),
      endTime: ended == null ? undefined : seconds(ended),
      ...(keepWord || reason != null
        ? {
            detail: {
              ...(keepWord ? { JenkinsResult: run.result } : {}),
              ...(reason != null ? { Reason: reason } : {})
            }
          }
        : {})
    })
    return true
  }

  /**
   * The run answers 404: deleted (log rotation, a person) or its job deleted or renamed. With the job
   * gone it ends now; else after LOST_AFTER polls in a row. Aborted, and never polled again.
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
        ? `Jenkins no longer has run #${number} of "${job}" (deleted by log rotation or by hand); it answered 404 ` +
          `${misses} times`
        : `the Jenkins job "${job}" no longer exists (deleted or renamed); run #${number} went with it`
      await this.apply(build, { status: 'Aborted', detail: { Reason: reason } })
    }
    return true
  }

  /** Where a queued build is: still waiting (its reason recorded), cancelled, lost, or the run it became. */
  private async findRun (
    client: JenkinsClient,
    build: TrackedBuild
  ): Promise<'waiting' | 'cancelled' | 'lost' | { number: number, url: string | null }> {
    const queueId = build.queue_id as number
    const item = await orNull404(client.queueItem(queueId))
    if (item != null && isOwnQueueItem(item, client.baseUrl, build.job_name)) {
      if (item.cancelled) return 'cancelled'
      if (item.executable != null) return item.executable
      // waiting, blocked, buildable, or the moment between leaving the queue and the run existing
      if (item.why != null) {
        const detail = queueDetail(build, { why: item.why, stuck: item.stuck })
        if (Object.keys(detail).length > 0) await this.apply(build, { status: 'Queued', detail })
      }
      return 'waiting'
    }
    // queue items vanish 5 minutes after leaving the queue, and on restart: look for the run itself
    const run = await client.runByQueueId(build.job_name, queueId, recordedSince(build))
    if (run != null) return run
    const misses = build.poll_errors + 1
    if (misses >= LOST_AFTER) return 'lost'
    throw new LostQueueItem(misses)
  }

  /**
   * Writes the stages Jenkins shows that differ from what the database has, matched by Jenkins node
   * id; then captures the log of each that failed (once), from `logs`.
   */
  private async syncStages (
    client: JenkinsClient,
    build: TrackedBuild,
    number: number,
    stages: PolledStage[],
    logs: StageLogSource,
    stored?: StoredStage[]
  ): Promise<void> {
    if (stages.length === 0) return
    stored ??= await this.storedStages(build)
    const names = assignNames(stages, stored)
    const byName = new Map(stored.map((s) => [s.name, s]))
    const seen = new Set(byName.keys())
    let count = stored.length
    for (const s of stages) {
      const name = names.get(s.nodeId) as string
      // a name the write path refuses (a control or bidi character) would fail the build's every poll
      if (!takesName(name)) continue
      // past the cap the write path refuses a new stage (1001): leave it out rather than fail every poll
      if (!byName.has(name)) {
        if (count >= MAX_STAGES) continue
        count++
      }
      const startTime = s.startMs == null ? undefined : seconds(s.startMs)
      const endTime = s.endMs == null ? undefined : seconds(s.endMs)
      const have = byName.get(name)
      const reason = s.queueReason ?? null
      const same =
        have != null &&
        (have.status === s.status || !canMove(have.status as Status, s.status)) &&
        (startTime == null || have.start_time === startTime) &&
        (endTime == null || have.end_time === endTime) &&
        have.nodeId === s.nodeId &&
        have.queueReason === reason &&
        // a stage recorded from elsewhere (spans) still gets the error message only Jenkins' APIs carry
        (s.error == null || (have.error ?? null) === s.error)
      if (!same) {
        const pre =
          have == null
            ? s.pre.map((id) => names.get(id)).filter((n): n is string => n != null && seen.has(n))
            : undefined
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
            ...(s.jenkinsResult == null ? {} : { JenkinsResult: s.jenkinsResult }),
            ...((have?.queueReason ?? null) !== reason ? { QueueReason: reason } : {})
          }
        })
      }
      seen.add(name)
    }
    const named = stages.filter((s) => names.has(s.nodeId)).map((s) => ({ ...s, name: names.get(s.nodeId) as string }))
    // a failed stage's log is stored under its StageID: the stage is written first
    if (named.some((s) => s.status === 'Fail' || s.status === 'Unstable')) await this.flush(build)
    if (await captureStageLogs(this.db, this.log, client, build, number, named, logs) > 0) this.uncaptured.add(build.id)
  }

  private async storedStages (build: TrackedBuild): Promise<StoredStage[]> {
    // stage updates not written yet would be missing from what is compared
    if (this.pending.get(build.id)?.some((u) => u.stageName != null) === true) await this.flush(build)
    return await storedStages(this.db, build.id)
  }

  /** Records what the poll learnt; written when the build's poll ends (or before its stages are read again). */
  private async apply (build: TrackedBuild, u: ProgressUpdate): Promise<void> {
    const jenkins = build.jenkins_build_number == null
      ? undefined
      : { buildNumber: build.jenkins_build_number, url: build.jenkins_url ?? undefined }
    const update = { ...u, jenkins, source: 'poller' as const }
    const pending = this.pending.get(build.id)
    if (pending != null) pending.push(update)
    else await applyProgress(this.db, { planId: build.plan_id, buildIndex: build.build_index }, [update])
  }

  /** Writes the build's pending updates: one applyProgress call, one transaction. */
  private async flush (build: TrackedBuild, pending = this.pending.get(build.id) ?? []): Promise<void> {
    const updates = pending.splice(0)
    if (updates.length === 0) return
    await applyProgress(this.db, { planId: build.plan_id, buildIndex: build.build_index }, updates)
  }
}
