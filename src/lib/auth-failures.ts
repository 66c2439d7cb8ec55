/**
 * Failed authentications per address, counted in a fixed one-minute window, in memory and per
 * process (so N processes allow N × the limit; enough to stop a flood, which is the point: a
 * token is 256 random bits and the webhook secret at least 32 characters, so guessing is hopeless).
 */
export class AuthFailures {
  private readonly windows = new Map<string, { count: number, until: number }>()

  constructor (private readonly max: number, private readonly windowMs = 60_000, private readonly clock = Date.now) {}

  /** Milliseconds until the address may try again, or 0 while it is under the limit. */
  blockedFor (address: string): number {
    if (this.max <= 0) return 0
    const w = this.windows.get(address)
    if (w == null) return 0
    const left = w.until - this.clock()
    if (left <= 0) { this.windows.delete(address); return 0 }
    return w.count >= this.max ? left : 0
  }

  fail (address: string): void {
    if (this.max <= 0) return
    const now = this.clock()
    const w = this.windows.get(address)
    if (w != null && w.until > now) { w.count++; return }
    if (this.windows.size >= 10_000) this.prune(now) // bounded: a spread of addresses cannot grow it for ever
    this.windows.set(address, { count: 1, until: now + this.windowMs })
  }

  private prune (now: number): void {
    for (const [a, w] of this.windows) if (w.until <= now) this.windows.delete(a)
    if (this.windows.size >= 10_000) this.windows.clear()
  }
}
