import { type CachedAnswer, VersionedCache } from './versioned-cache.js'
import { ReadBatcher } from './read-batcher.js'

export interface VersionedReaderOptions<K, V> {
  /** The version string of what `readVersion` gave; by default that is the version itself. */
  versionOf?: (v: V) => string
  /** Names a key for the cache and for sharing reads; keys that are strings or numbers name themselves. */
  keyOf?: (key: K) => string | number
}

/**
 * Cached answers of one kind of read, each valid while the data's version is unchanged: concurrent
 * requests for one key share one read of its version (read-batcher.ts), and an answer is computed
 * and serialized once per version (versioned-cache.ts). `readVersion` may throw (a plan or build
 * that does not exist): every request waiting on that read gets the error.
 */
export class VersionedReader<K, V> {
  private readonly versions = new ReadBatcher<string | number, V>()
  private readonly answers: VersionedCache<string>
  private readonly versionOf: (v: V) => string
  private readonly keyOf: (key: K) => string | number

  constructor (
    maxBytes: number,
    private readonly readVersion: (key: K) => Promise<V>,
    opts: VersionedReaderOptions<K, V> = {}
  ) {
    this.answers = new VersionedCache<string>(maxBytes)
    this.versionOf = opts.versionOf ?? ((v) => v as string)
    this.keyOf = opts.keyOf ?? ((key) => key as string)
  }

  /**
   * The answer for `key` at its current version; `variant` tells apart the answers kept for one key
   * (a page, a filter). `compute` runs only when the cached answer is older than the version.
   */
  async read (key: K, compute: (v: V) => Promise<unknown>, variant: string | number = ''): Promise<CachedAnswer> {
    return (await this.readVersioned(key, compute, variant)).answer
  }

  /** As read(), with what the version read gave, for a handler that adds to the cached answer. */
  async readVersioned (
    key: K,
    compute: (v: V) => Promise<unknown>,
    variant: string | number = ''
  ): Promise<{ answer: CachedAnswer, v: V }> {
    const name = this.keyOf(key)
    const v = await this.versions.read(name, async () => await this.readVersion(key))
    const answer = await this.answers.through(`${name}/${variant}`, this.versionOf(v), async () => await compute(v))
    return { answer, v }
  }
}
