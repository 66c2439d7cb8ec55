import { durationOf, median, type BuildRuns, type StageRun } from './stage-stats.js'

// When will a running build end? From the plan's last passed builds: each stage's median duration,
// the stages usual in the plan and what precedes them. Pure: the route brings the rows and the clock.

/** Builds of history the estimate looks at, and the fewest passed builds it needs to say anything. */
export const ESTIMATE_HISTORY = 20
export const ESTIMATE_MIN_PASSED = 3

export interface PlanHistory {
  /** passed builds looked at */
  passed: number
  /** median seconds of each stage's passed runs */
  medians: Map<string, number>
  /** stages that ran in at least half of the passed builds, with the names that preceded them last time */
  usual: Map<string, string[]>
  /** stages that held others (graph view's parallel parents): their time is their children's */
  parents: Set<string>
}

/** The history of `passedBuilds` (newest first: the newest build's graph names a stage's predecessors). */
export function planHistory (passedBuilds: BuildRuns[]): PlanHistory {
  const durations = new Map<string, number[]>()
  const seen = new Map<string, number>()
  const predecessors = new Map<string, string[]>()
  const parents = new Set<string>()
  for (const b of passedBuilds) {
    const nameById = new Map(b.stages.map((s) => [s.stage_id, s.name]))
    for (const p of parentsIn(b.stages)) parents.add(p)
    for (const s of b.stages) {
      const d = durationOf(s)
      if (d == null) continue // skipped or without times: not a run of the stage
      seen.set(s.name, (seen.get(s.name) ?? 0) + 1)
      if (s.status === 'Pass') durations.set(s.name, [...(durations.get(s.name) ?? []), d])
      if (!predecessors.has(s.name)) {
        predecessors.set(s.name, preIds(s).map((id) => nameById.get(id)).filter((n): n is string => n != null))
      }
    }
  }
  const medians = new Map<string, number>()
  for (const [name, list] of durations) medians.set(name, median(list) as number)
  const usual = new Map<string, string[]>()
  for (const [name, count] of seen) {
    if (count * 2 >= passedBuilds.length) usual.set(name, predecessors.get(name) ?? [])
  }
  return { passed: passedBuilds.length, medians, usual, parents }
}

/**
 * Stages that hold others: a stage that follows P but starts before P ended runs inside it (graph
 * view records a parallel's parent, then its branches after it). A parent's own time spans its
 * children's, so counting both would count the section twice.
 */
function parentsIn (stages: StageRun[]): string[] {
  const byId = new Map(stages.map((s) => [s.stage_id, s]))
  const found: string[] = []
  for (const c of stages) {
    if (c.start_time == null) continue
    for (const id of preIds(c)) {
      const p = byId.get(id)
      if (p != null && (p.end_time == null || c.start_time < p.end_time)) found.push(p.name)
    }
  }
  return found
}

export interface Estimate {
  /** seconds still to go */
  remaining: number
  EstimatedEndTime: number
  Progress: number
}

const ENDED = new Set(['Pass', 'Fail', 'Unstable', 'Aborted', 'Skipped'])

/**
 * The estimate for a build that has not ended, or null without enough history. The remaining time
 * is the longest path through the stage graph where a running stage weighs its median less its
 * elapsed time (at least 0), a usual stage not started yet its median, and an ended stage or one
 * that holds others (its children carry the time) nothing.
 */
export function estimate (history: PlanHistory, build: { start_time: number | null },
  stages: StageRun[], now: number): Estimate | null {
  if (history.passed < ESTIMATE_MIN_PASSED) return null
  const weight = new Map<string, number>()
  const pre = new Map<string, string[]>()
  const nameById = new Map(stages.map((s) => [s.stage_id, s.name]))
  const parents = new Set([...history.parents, ...parentsIn(stages)])
  for (const s of stages) {
    const m = parents.has(s.name) ? 0 : history.medians.get(s.name) ?? 0
    let w = 0
    const elapsed = s.start_time == null ? 0 : now - s.start_time
    if (s.status === 'Running' || s.status === 'Paused') w = Math.max(0, m - elapsed)
    else if (!ENDED.has(s.status)) w = m // recorded but not started
    weight.set(s.name, w)
    pre.set(s.name, preIds(s).map((id) => nameById.get(id)).filter((n): n is string => n != null))
  }
  for (const [name, before] of history.usual) {
    if (weight.has(name)) continue
    weight.set(name, parents.has(name) ? 0 : history.medians.get(name) ?? 0)
    pre.set(name, before)
  }
  // longest path ending at each node: its weight plus the longest of its predecessors'
  const longest = new Map<string, number>()
  const visiting = new Set<string>()
  const pathTo = (name: string): number => {
    const known = longest.get(name)
    if (known !== undefined) return known
    if (visiting.has(name)) return 0 // graphs of different builds may disagree; never loop
    visiting.add(name)
    let before = 0
    for (const p of pre.get(name) ?? []) if (weight.has(p)) before = Math.max(before, pathTo(p))
    visiting.delete(name)
    const total = before + (weight.get(name) ?? 0)
    longest.set(name, total)
    return total
  }
  let remaining = 0
  for (const name of weight.keys()) remaining = Math.max(remaining, pathTo(name))
  remaining = Math.round(remaining)
  const elapsed = Math.max(0, now - (build.start_time ?? now))
  const Progress = elapsed + remaining === 0 ? 0 : Math.round(100 * elapsed / (elapsed + remaining))
  return { remaining, EstimatedEndTime: now + remaining, Progress }
}

function preIds (s: StageRun): number[] {
  if (s.pre_stage_ids == null) return []
  try {
    const ids = JSON.parse(s.pre_stage_ids) as unknown
    return Array.isArray(ids) ? ids.filter((n): n is number => typeof n === 'number') : []
  } catch {
    return []
  }
}
