// What a plan's history says about its stages (docs/API.md "Stage analytics and estimates"): pure
// functions over rows the repository read, so every rule is checked without a database.

import type { BuildRuns, StageRun } from '../repositories/analytics.js'
export type { BuildRuns, StageRun }

export interface StageStat {
  StageName: string
  Runs: number
  Pass: number
  Fail: number
  Aborted: number
  Skipped: number
  PassRate: number | null
  MedianDuration: number | null
  P90Duration: number | null
  Durations: Array<number | null>
  FlipRate: number | null
  Flaky: boolean
  /** BuildIndexes of the builds in which it failed, newest first */
  FailedBuilds: number[]
}

/** A stage "ran" with any of these results; Skipped has its own count, the rest have not ended. */
const RAN = new Set(['Pass', 'Fail', 'Unstable', 'Aborted'])
export const FLAKY_FLIP_RATE = 0.3
export const FLAKY_MIN_RUNS = 5

/** Median of numbers; an even count gives the mean of the two middle values; null when empty. */
export function median (values: number[]): number | null {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Nearest-rank percentile: the ⌈p·n⌉-th smallest; null when empty. */
export function nearestRank (values: number[], p: number): number | null {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  return s[Math.max(1, Math.ceil(p * s.length)) - 1]
}

/** Seconds from start to end, when the stage ran and both are known. */
export function durationOf (s: StageRun): number | null {
  if (!RAN.has(s.status) || s.start_time == null || s.end_time == null) return null
  return Math.max(0, s.end_time - s.start_time)
}

/** Per stage name over `builds` (oldest first): counts, rates, duration figures, flips; first-seen order. */
export function stageStats (builds: BuildRuns[]): StageStat[] {
  const order: string[] = []
  const byName = new Map<string, Array<StageRun | undefined>>()
  builds.forEach((b, i) => {
    for (const s of b.stages) {
      let row = byName.get(s.name)
      if (row === undefined) {
        row = new Array<StageRun | undefined>(builds.length).fill(undefined)
        byName.set(s.name, row)
        order.push(s.name)
      }
      row[i] = s
    }
  })
  return order.map((name) => statOf(name, byName.get(name) ?? [], builds))
}

function statOf (name: string, row: Array<StageRun | undefined>, builds: BuildRuns[]): StageStat {
  let pass = 0; let fail = 0; let aborted = 0; let skipped = 0; let runs = 0; let flips = 0
  let previous: string | undefined
  const passed: number[] = []
  const failedIn: number[] = []
  const Durations = row.map((s, i) => {
    if (s === undefined) return null
    if (s.status === 'Skipped') skipped++
    if (!RAN.has(s.status)) return null
    runs++
    if (s.status === 'Pass') pass++
    else if (s.status === 'Fail') { fail++; failedIn.unshift(builds[i].buildIndex) } else if (s.status === 'Aborted') aborted++
    // a flip is Pass then Fail or Fail then Pass, from one run to the stage's next run
    if ((previous === 'Pass' && s.status === 'Fail') || (previous === 'Fail' && s.status === 'Pass')) flips++
    previous = s.status
    const d = durationOf(s)
    if (d != null && s.status === 'Pass') passed.push(d)
    return d
  })
  const FlipRate = runs < 2 ? null : flips / (runs - 1)
  return {
    StageName: name,
    Runs: runs,
    Pass: pass,
    Fail: fail,
    Aborted: aborted,
    Skipped: skipped,
    PassRate: runs === 0 ? null : pass / runs,
    MedianDuration: median(passed),
    P90Duration: nearestRank(passed, 0.9),
    Durations,
    FlipRate,
    Flaky: FlipRate != null && FlipRate >= FLAKY_FLIP_RATE && runs >= FLAKY_MIN_RUNS,
    FailedBuilds: failedIn
  }
}
