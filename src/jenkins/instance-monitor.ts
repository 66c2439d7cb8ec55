import type { FastifyBaseLogger } from 'fastify'
import { JenkinsError, type JenkinsClient } from './client.js'
import type { JenkinsRegistry } from './registry.js'

// What each configured Jenkins offers and how it is doing: the stage API found there (probed on the
// first run followed on it, again after PROBE_TTL_MS or an outage), its pause after failures, and
// what /readyz reports. Per process: each server probes for itself, which costs a request or two.

/** what an instance offers is probed again after this long (and after it failed) */
const PROBE_TTL_MS = 15 * 60_000
/** /readyz asks each Jenkins at most this often, and waits this long */
const PING_TTL_MS = 30_000
const PING_TIMEOUT_MS = 3000
const MAX_PAUSE_MS = 60_000

/**
 * Pipeline Graph View `stages/tree`, pipeline-stage-view `wfapi/describe` (+ Blue Ocean), or the run's api/json only
 */
export type StageSource = 'graph-view' | 'stage-view' | 'none'

/** failures in a row, until when polls pause, and since when (epoch ms) it has been failing */
interface Health { failures: number, downUntil: number, since: number }

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
  /** the run probing the instance right now; the others wait for it */
  probing?: Probe
}

export interface Probe { promise: Promise<void>, resolve: () => void }

export class InstanceMonitor {
  private readonly health = new Map<string, Health>()
  /** per instance (key '' = default): which stage API it offers */
  private readonly sources = new Map<string, InstanceSources>()
  private readonly pings = new Map<string, {
    at: number
    error: string | null
    pending?: Promise<string | null>
    /** while the pings fail: since when (epoch ms) */
    failingSince?: number
  }>()

  /** `clock` is the poller's: tests move it to jump past pauses and probe ages without sleeping */
  constructor (private readonly registry: JenkinsRegistry, private readonly log: FastifyBaseLogger,
    private readonly opts: { intervalMs: number }, private readonly clock: () => number) {}

  // ---- health: an instance failing is paused, with a growing pause ----

  /** Until when the instance's polls are paused (0: not paused). */
  pausedUntil (key: string): number {
    return this.health.get(key)?.downUntil ?? 0
  }

  /** The instances paused at `now` ('' = the default). */
  paused (now: number): string[] {
    return [...this.health.entries()].filter(([, h]) => h.downUntil > now).map(([key]) => key)
  }

  /** Counts a failure of the instance; returns until when its polls pause. */
  markDown (key: string, client: JenkinsClient, err: JenkinsError): number {
    const h = this.health.get(key) ?? { failures: 0, downUntil: 0, since: 0 }
    const wasUp = h.failures === 0
    if (wasUp) h.since = this.clock()
    h.failures++
    const inst = this.sources.get(key)
    // it may come back with other plugins
    if (inst != null && inst.probing == null) { inst.stages = null; inst.graphAbsent = false; inst.blueOcean = null }
    h.downUntil = this.clock() + Math.min(MAX_PAUSE_MS, this.opts.intervalMs * 2 ** (h.failures - 1))
    this.health.set(key, h)
    if (wasUp) {
      this.log.warn(
        { jenkins: client.opts.name ?? 'default', reason: err.message },
        'Jenkins is failing: pausing its polls'
      )
    }
    return h.downUntil
  }

  markUp (key: string, client: JenkinsClient): void {
    const h = this.health.get(key)
    if (h == null || h.failures === 0) return
    this.health.set(key, { failures: 0, downUntil: 0, since: 0 })
    this.log.info({ jenkins: client.opts.name ?? 'default' }, 'Jenkins answers again: polling resumed')
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

  /** The stage source for a run of `job`; with `probe` while this run probes the instance (the others wait for it). */
  async sourceFor (key: string, job: string): Promise<{ source: StageSource, probe?: Probe }> {
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

  /** `source` answered for a run: the instance offers it. */
  confirm (key: string, source: StageSource): void {
    const inst = this.instance(key)
    if (inst.stages !== source) this.log.info({ jenkins: key || 'default', stages: source }, 'Jenkins stage source')
    inst.stages = source
    inst.probedAt = this.clock()
  }

  /** Ends this run's probe (whatever happened to it); the runs waiting go on. */
  settleProbe (key: string, probe: Probe | undefined): void {
    if (probe == null) return
    const inst = this.instance(key)
    if (inst.probing === probe) inst.probing = undefined
    probe.resolve()
  }

  /** `source` answered 404 for a Pipeline run that exists: the instance lacks it; the next source is tried. */
  absent (key: string, source: StageSource): void {
    const inst = this.instance(key)
    if (source === 'graph-view') {
      inst.graphAbsent = true
      inst.stages = null
      // removed or updated: its URL is probed from the top next time
      this.registry.client(key === '' ? null : key)?.forgetGraphView()
    } else {
      inst.stages = 'none' // neither graph view nor stage view: the run's api/json only
      inst.probedAt = this.clock()
      inst.blueOcean = null
    }
  }

  /** Runs of `job` are not Pipelines (freestyle): no stage API to ask, whatever the instance offers. */
  withoutStages (key: string, job: string): void {
    this.instance(key).withoutStages.add(job)
  }

  /** With stage view: whether Blue Ocean answers there (null: not asked yet). */
  blueOcean (key: string): boolean | null {
    return this.instance(key).blueOcean
  }

  setBlueOcean (key: string, available: boolean): void {
    this.instance(key).blueOcean = available
  }

  /** What each instance offers for stages, for /readyz (graph view before release 777 with the URL it serves). */
  stageSources (): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [key, inst] of this.sources) {
      const name = key === '' ? 'default' : key
      const graphPath = this.registry.client(key === '' ? null : key)?.graphViewPath
      out[name] = inst.stages === 'stage-view'
        ? (inst.blueOcean === true
            ? 'stage-view+blue-ocean'
            : inst.blueOcean === false ? 'stage-view' : 'stage-view (Blue Ocean not probed yet)')
        : inst.stages === 'graph-view' && graphPath != null && graphPath !== 'stages'
          ? `graph-view (${graphPath}/tree)`
          : inst.stages ?? 'not probed yet'
    }
    return out
  }

  // ---- /readyz ----

  /**
   * Each configured Jenkins for /readyz: `state` is "ok", the pause after failures, or what a cheap
   * authenticated request (`/api/json?tree=mode`, cached PING_TTL_MS, made here only when stale) ran
   * into; `stages` is the stage API found there; `since` (epoch ms), while it is not ok, when this
   * process first saw it fail, so every page says the same "unreachable since". Never called on API requests.
   */
  async readiness (): Promise<Record<string, { state: string, stages: string, since?: number }>> {
    const names = [...(this.registry.default == null ? [] : ['']), ...this.registry.names()]
    const sources = this.stageSources()
    const entries = await Promise.all(names.map(async (key) => {
      const name = key === '' ? 'default' : key
      const h = this.health.get(key)
      const stages = sources[name] ?? 'not probed yet'
      if (h != null && h.failures > 0) {
        const state = `failing (${h.failures} errors; paused until ${new Date(h.downUntil).toISOString()})`
        return [name, { state, stages, since: h.since }] as const
      }
      const error = await this.ping(key)
      if (error == null) return [name, { state: 'ok', stages }] as const
      const since = this.pings.get(key)?.failingSince
      return [name, since == null ? { state: error, stages } : { state: error, stages, since }] as const
    }))
    return Object.fromEntries(entries)
  }

  /** null when the instance answered with our credentials; else why not. One request per PING_TTL_MS at most. */
  private async ping (key: string): Promise<string | null> {
    const client = this.registry.client(key === '' ? null : key)
    if (client == null) return 'not configured'
    const last = this.pings.get(key)
    if (last?.pending != null) return await last.pending
    if (last != null && Date.now() - last.at < PING_TTL_MS) return last.error
    const pending = client.ping(Math.min(client.opts.timeoutMs, PING_TIMEOUT_MS)).then(() => null, (err: unknown) =>
      err instanceof JenkinsError ? err.message : String(err))
    this.pings.set(key, { at: last?.at ?? 0, error: last?.error ?? null, pending, failingSince: last?.failingSince })
    const error = await pending
    const failingSince = error == null ? undefined : last?.failingSince ?? this.clock()
    this.pings.set(key, { at: Date.now(), error, failingSince })
    return error
  }
}
