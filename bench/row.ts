/** One line of the bench table (bench/run.ts), shared with the files that add rows. */
export interface Row {
  name: string
  database: string
  rps: number | null
  p50_ms: number | null
  p99_ms: number | null
  baseline: string | null
  baseline_rps: number | null
  ratio: number | null
  target: string
  met: boolean
  /** figures of rows that are not request rates (poller, startup) */
  extra?: Record<string, number>
}

/** A row of figures that are not request rates (start-up, memory, a poller tick): no load, no baseline. */
export function figureRow (name: string, database: string, target: string, met: boolean,
  extra: Record<string, number>): Row {
  return { name, database, rps: null, p50_ms: null, p99_ms: null, baseline: null, baseline_rps: null, ratio: null, target, met, extra }
}
