// Whether a database error means it will not write at all (disk full, read-only, no privilege), and
// what /readyz remembers of it. Pure: the errors of both drivers are read by their codes.

// MySQL/MariaDB errors meaning "this server will not write now", whatever the statement
const MYSQL_REFUSALS: Record<number, string> = {
  1021: 'the database server\'s disk is full',
  1114: 'a table is full (the database server\'s disk or tablespace is full)',
  1036: 'a table is read-only',
  1290: 'the database server is read-only (read_only or super_read_only)',
  1792: 'the database session is read-only',
  1142: 'the database user may not write this table (missing INSERT, UPDATE or DELETE)'
}

/**
 * Why the database refused a write, in words, when the error says it cannot write at all (disk
 * full, read-only file or server, no write privilege) as opposed to a bug in one query; else null.
 */
export function writeRefusal (err: unknown): string | null {
  const e = err as { errno?: number, code?: string, sqlState?: string } | null
  if (e == null || typeof e !== 'object') return null
  const code = typeof e.code === 'string' ? e.code : ''
  if (code === 'SQLITE_FULL') return 'the disk is full (SQLITE_FULL)'
  if (code.startsWith('SQLITE_READONLY')) return `the database file is read-only (${code})`
  if (code.startsWith('SQLITE_IOERR')) return `the disk failed a write (${code})`
  if (typeof e.errno === 'number' && MYSQL_REFUSALS[e.errno] != null) {
    return `${MYSQL_REFUSALS[e.errno]} (${code !== '' ? code : `errno ${e.errno}`})`
  }
  return null
}

/**
 * The state of writes as this process last saw it, for /readyz: a write the database refused
 * within REFUSAL_MS keeps readiness at 503 (a probe write can succeed while real ones do not: a
 * one-row update may fit in a page a full disk still has).
 */
export class WriteHealth {
  static readonly REFUSAL_MS = 15_000
  static readonly PROBE_MS = 30_000
  private refused: { cause: string, at: number } | null = null
  private probedAt = -Infinity

  constructor (public clock: () => number = Date.now) {}

  /** Records a refused write; answers its cause, or null when `err` is no refusal. */
  observe (err: unknown): string | null {
    const cause = writeRefusal(err)
    if (cause != null) this.refused = { cause, at: this.clock() }
    return cause
  }

  /** The cause of a write refused lately, or null. */
  recentRefusal (): string | null {
    if (this.refused == null || this.clock() - this.refused.at >= WriteHealth.REFUSAL_MS) return null
    return this.refused.cause
  }

  /**
   * Whether /readyz should try a write now: after a refusal, and every PROBE_MS (a database read-only from the start).
   */
  probeDue (): boolean {
    return this.refused != null || this.clock() - this.probedAt >= WriteHealth.PROBE_MS
  }

  probed (): void {
    this.probedAt = this.clock()
    if (this.recentRefusal() == null) this.refused = null
  }
}
