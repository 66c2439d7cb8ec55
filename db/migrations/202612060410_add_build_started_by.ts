import type { Kysely } from 'kysely'

// Who started a build and which build it repeats: Build/add records the calling token's name
// (null in open mode and for runs Jenkins started) and an optional RebuildOf of the same plan.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('started_by', 'varchar(128)').execute()
  await db.schema.alterTable('builds').addColumn('rebuild_of', 'integer').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const c of ['rebuild_of', 'started_by']) await db.schema.alterTable('builds').dropColumn(c).execute()
}
