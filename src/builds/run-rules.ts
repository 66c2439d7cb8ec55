import type { WfapiRun } from '../jenkins/client.js'
import { normalizeName } from '../lib/names.js'
import type { TrackedBuild } from '../repositories/builds.js'
import { CLOCK_SKEW_S } from '../repositories/discovery.js'
import type { StoredStage } from '../repositories/stages.js'
import { isTerminal, parseStatus, type Status } from '../status.js'

// The small rules following a build applies to what Jenkins answers, without asking it anything:
// queue reasons, when Blue Ocean is worth a request, a run's result as our status.

/** The Detail keys that move the build's QueueReason/Stuck to `now` (null = gone); {} when nothing changes. */
export function queueDetail (
  build: TrackedBuild, now: { why: string, stuck: boolean } | null
): Record<string, unknown> {
  const d = JSON.parse(build.detail) as { QueueReason?: string | null, Stuck?: boolean | null }
  const out: Record<string, unknown> = {}
  const why = now?.why ?? null
  const stuck = now?.stuck === true ? true : null
  if ((d.QueueReason ?? null) !== why) out.QueueReason = why
  if ((d.Stuck ?? null) !== stuck) out.Stuck = stuck
  return out
}

/**
 * Blue Ocean is needed for what wfapi gets wrong: new stages (edges; a parallel branch's wfapi id is
 * never the one stored), and skipped-for-failure stages (any failure, or a run that did not pass).
 * Otherwise wfapi's ids are the stored ones and its statuses are right.
 */
export function needsBlueOcean (run: WfapiRun, stored: StoredStage[]): boolean {
  if (run.stages.length === 0) return false
  const known = new Set(stored.map((s) => s.nodeId))
  if (run.stages.some((s) => !known.has(String(s.id)))) return true
  const status = parseStatus(run.status) ?? 'Running'
  if (isTerminal(status) && status !== 'Pass') return true
  return run.stages.some((s) => {
    const st = parseStatus(s.status)
    return st === 'Fail' || st === 'Unstable' || st === 'Aborted'
  })
}

/** What a wfapi answer says that can change a stage: ids and statuses (durations of running stages grow every poll). */
export function fingerprint (run: WfapiRun): string {
  return run.status + '|' + run.stages.map((s) => `${s.id}:${s.status}`).join(',')
}

export const seconds = (ms: number): number => Math.floor(ms / 1000)

/**
 * The earliest a run of this build may have been created (ms): when it was recorded, less the clock skew
 * discovery allows; an older run carrying its queue id is another one (ids restart when Jenkins loses queue.xml).
 */
export function recordedSince (build: Pick<TrackedBuild, 'create_time'>): number {
  return (build.create_time - CLOCK_SKEW_S) * 1000
}

export function takesName (name: string): boolean {
  try {
    normalizeName(name, 'StageName')
    return true
  } catch {
    return false
  }
}

/**
 * A run's result as our status. NOT_BUILT on a run means it was interrupted after it started
 * (abortPrevious, a milestone, a lock): Aborted, not Skipped; an unknown word is Fail.
 */
export function runStatus (result: string): Status {
  if (result.trim().toUpperCase() === 'NOT_BUILT') return 'Aborted'
  return parseStatus(result) ?? 'Fail'
}
