import type { EventEmitter } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Gc = (options: { type: 'major', flavor: 'last-resort' }) => void

const QUIET_MS = 250
/** under traffic from the start V8 collects on its own; after this many checks the release is dropped */
const MAX_CHECKS = 40

/**
 * Gives back what start-up grew and no longer uses, at the first quiet moment after listening (no
 * request for QUIET_MS). Loading modules and compiling schemas grows V8's young generation to its full
 * size (two semi-spaces, ~34 MB), and a server that then idles neither allocates nor collects, so V8
 * never shrinks it. One memory-reducing collection (~100 ms, hence the quiet moment) takes an idle
 * process from ~120 to under 100 MB; load grows the young generation again as it needs.
 */
export function releaseStartupMemoryWhenQuiet (server: EventEmitter, done: (ms: number | null) => void,
  { quietMs = QUIET_MS, maxChecks = MAX_CHECKS } = {}): void {
  let requests = 0
  let seen = -1
  let checks = 0
  const count = (): void => { requests++ }
  server.on('request', count)
  const check = (): void => {
    const quiet = requests === seen
    if (quiet || ++checks >= maxChecks) {
      server.off('request', count)
      if (quiet) done(releaseStartupMemory())
      return
    }
    seen = requests
    setTimeout(check, quietMs).unref()
  }
  setTimeout(check, quietMs).unref()
}

/** One memory-reducing collection; the milliseconds it took, or null where the runtime refuses. */
export function releaseStartupMemory (): number | null {
  try {
    // exposes gc() in a new context only: the application's global gets no `gc`
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as Gc
    const started = performance.now()
    gc({ type: 'major', flavor: 'last-resort' })
    return Math.round(performance.now() - started)
  } catch {
    return null
  }
}
