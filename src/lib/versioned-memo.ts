/**
 * Values (not answers) kept under a key with the version they were computed at, like
 * versioned-cache.ts: a hit needs the caller's current version, read from the database for the
 * request. Concurrent misses for one key and version share one computation. Bounded in entries.
 */
export class VersionedMemo<K, V> {
  private readonly entries = new Map<K, { version: string, value: Promise<V> }>()

  constructor (private readonly maxEntries: number) {}

  async through (key: K, version: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key)
    if (hit !== undefined && hit.version === version) return await hit.value
    const value = compute()
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { version, value })
    // a failed computation is not kept: the next request tries again
    value.catch(() => { if (this.entries.get(key)?.value === value) this.entries.delete(key) })
    return await value
  }

  get size (): number { return this.entries.size }
}
