import { createHash } from 'node:crypto'

/** A serialized answer and its ETag, computed once when it was cached. */
export interface CachedAnswer { body: string, etag: string }

/**
 * Serialized answers kept under a key together with the version they were computed at. A hit needs
 * the caller's current version, read from the database for the request (see read-batcher.ts), so a
 * write by any process, which bumps that version in its own transaction, is seen at once. Bounded
 * in bytes: the oldest entries go first.
 */
export class VersionedCache<K> {
  private readonly entries = new Map<K, { version: string, answer: CachedAnswer }>()
  private bytes = 0

  constructor (private readonly maxBytes: number) {}

  /** The cached answer for `key` at `version`, else `compute()` serialized and kept. */
  async through (key: K, version: string, compute: () => Promise<unknown>): Promise<CachedAnswer> {
    const hit = this.entries.get(key)
    if (hit !== undefined && hit.version === version) return hit.answer
    // computed after the version was read: at worst newer than it, and then replaced on the next read
    const body = JSON.stringify(await compute())
    // the ETag's hash is paid once per version, not once per request
    const answer = { body, etag: `"${createHash('sha1').update(body).digest('base64')}"` }
    this.set(key, version, answer)
    return answer
  }

  get size (): number { return this.entries.size }
  /** characters held (a JSON body is mostly ASCII: about its bytes) */
  get heldBytes (): number { return this.bytes }

  private set (key: K, version: string, answer: CachedAnswer): void {
    this.delete(key)
    if (answer.body.length > this.maxBytes / 8) return // one huge answer would evict everything else
    while (this.bytes + answer.body.length > this.maxBytes) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.delete(oldest.value)
    }
    this.entries.set(key, { version, answer })
    this.bytes += answer.body.length
  }

  private delete (key: K): void {
    const e = this.entries.get(key)
    if (e === undefined) return
    this.entries.delete(key)
    this.bytes -= e.answer.body.length
  }
}
