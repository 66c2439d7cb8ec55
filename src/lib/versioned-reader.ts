import { type CachedAnswer, VersionedCache } from './versioned-cache.js'
import { ReadBatcher } from './read-batcher.js'

/** What a version read gives: the version itself plus whatever the answer's computation needs from it. */
export interface Versioned { version: string }

/**
 * Cached answers of one kind of read, each valid while the data's version is unchanged: concurrent
 * requests for one key share one read of its version (read-batcher.ts), and an answer is computed
 * and serialized once per version (versioned-cache.ts). `readVersion` may throw (a plan or build
 * that does not exist): every request waiting on that read gets the error.
 */
export class VersionedReader<K, V extends Versioned> {
  private readonly versions = new ReadBatcher<string | number, V>()
  private readonly answers: VersionedCache<string>

  /** `keyOf` names a key for the cache and for sharing reads; keys that are strings or numbers name themselves. */
  constructor (
    maxBytes: number,
    private readonly readVersion: (key: K) => Promise<V>,
    private readonly keyOf: (key: K) => string | number = (key) => key as string
  ) {
    this.answers = new VersionedCache<string>(maxBytes)
  }

  /**
   * The answer for `key` at its current version; `variant` tells apart the answers kept for one key
   * (a page, a filter). `compute` runs only when the cached answer is older than the version.
   */
  async read (key: K, compute: (v: V) => Promise<unknown>, variant: string | number = ''): Promise<CachedAnswer> {
    const name = this.keyOf(key)
    const v = await this.versions.read(name, async () => await this.readVersion(key))
    return await this.answers.through(`${name}/${variant}`, v.version, async () => await compute(v))
  }
}
