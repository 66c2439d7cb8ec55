import type { Kysely } from 'kysely'

// Retention deletes old builds: a plan's build count is then its counter less what was pruned, so
// Build/list's TotalCount stays one primary-key read instead of a count over the plan's builds.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('plans').addColumn('pruned_builds', 'integer', (c) => c.notNull().defaultTo(0)).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('plans').dropColumn('pruned_builds').execute()
}
