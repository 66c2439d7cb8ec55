/**
 * Serialized answers kept under a key together with the version they were computed at. A hit needs
 * the caller's current version, read from the database on every request (one primary-key read), so
 * a write by any process, which bumps that version in its own transaction, is seen at once. Bounded
 * in bytes: the oldest entries go first.
 */
export class VersionedCache<K> {
  private readonly entries = new Map<K, { version: string, body: string }>()
  private bytes = 0

  constructor (private readonly maxBytes: number) {}

  /** The cached body for `key` at `version`, else `compute()` serialized and kept. */
  async through (key: K, version: string, compute: () => Promise<unknown>): Promise<string> {
    const hit = this.entries.get(key)
    if (hit !== undefined && hit.version === version) return hit.body
    // computed after the version was read: at worst newer than it, and then replaced on the next read
    const body = JSON.stringify(await compute())
    this.set(key, version, body)
    return body
  }

  get size (): number { return this.entries.size }
  /** characters held (a JSON body is mostly ASCII: about its bytes) */
  get heldBytes (): number { return this.bytes }

  private set (key: K, version: string, body: string): void {
    this.delete(key)
    if (body.length > this.maxBytes / 8) return // one huge answer would evict everything else
    while (this.bytes + body.length > this.maxBytes) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.delete(oldest.value)
    }
    this.entries.set(key, { version, body })
    this.bytes += body.length
  }

  private delete (key: K): void {
    const e = this.entries.get(key)
    if (e === undefined) return
    this.entries.delete(key)
    this.bytes -= e.body.length
  }
}
