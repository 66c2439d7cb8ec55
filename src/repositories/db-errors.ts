import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'

/** A unique key said no: MySQL/MariaDB ER_DUP_ENTRY (1062) or SQLite's UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation (err: unknown): boolean {
  const e = err as { errno?: number, code?: string } | null
  return e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** A write that changes nothing: fails as any write would on a read-only or refusing database. */
export async function probeWrite (db: Kysely<Database>): Promise<void> {
  await sql`update read_versions set version = version where name = 'catalog'`.execute(db)
}
