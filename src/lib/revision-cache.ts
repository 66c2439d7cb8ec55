/**
 * Answers kept per record and revision. A hit needs the record's current revision, read from the
 * database on every request, so a write by any process (which bumps it) is seen at once.
 */
export class RevisionCache {
  private readonly entries = new Map<number, { revision: number, body: string }>()

  constructor (private readonly maxEntries: number) {}

  get (id: number, revision: number): string | undefined {
    const e = this.entries.get(id)
    return e != null && e.revision === revision ? e.body : undefined
  }

  set (id: number, revision: number, body: string): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(id)) {
      // drop the oldest entry (Map keeps insertion order)
      this.entries.delete(this.entries.keys().next().value as number)
    }
    this.entries.set(id, { revision, body })
  }
}
