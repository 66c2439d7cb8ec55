import type { Kysely } from 'kysely'

// Bumped by every progress write to a build or its stages: a read cache of Stage/info keyed by
// (build, revision) stays right with several server processes on one database.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0)).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('builds').dropColumn('revision').execute()
}
