// Numbers and URLs that come from Jenkins or its webhook are checked before they are stored
// (docs/API.md, "Tightened rules"): `1e300` is no run number, `javascript:` no run URL.

/** earliest and latest time a Jenkins run may carry, epoch ms (2000-01-01 … 2100-01-01) */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1)
export const MAX_TIME_MS = Date.UTC(2100, 0, 1)

/** The largest run number (or plan id, build index) the database holds: its INT columns stop at 2^31 − 1. */
export const MAX_RUN_NUMBER = 2_147_483_647

/**
 * A run number or id: a positive integer up to `max`, else undefined. Run numbers go to an INT column that
 * refuses `3000000000` on MariaDB, so they stop at MAX_RUN_NUMBER; a queue id (a BIGINT) may pass
 * Number.MAX_SAFE_INTEGER.
 */
export function positiveSafeInt (v: unknown, max = MAX_RUN_NUMBER): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= max ? v : undefined
}

/**
 * A run number, plan id or BuildIndex given as a number or as a string of digits (a Jenkins parameter,
 * an OTLP attribute): a positive integer the INT columns hold, else undefined.
 */
export function positiveIntOf (v: unknown): number | undefined {
  return positiveSafeInt(typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : v)
}

/** An epoch-ms time between 2000 and 2100, else undefined. */
export function plausibleTimeMs (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= MIN_TIME_MS && v <= MAX_TIME_MS ? v : undefined
}

/** Whether a URL from Jenkins may be stored and shown as a link: absolute http(s) only. */
export function isHttpUrl (url: unknown): url is string {
  if (typeof url !== 'string') return false
  try {
    const u = new URL(url)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}
