import type { Kysely } from 'kysely'

// An event stream filtered by BuildIndex alone (every plan's build N) finds its builds through this
// index; with DevOpsPlanID the unique (plan_id, build_index) key already serves.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('builds_build_index_idx').on('builds').column('build_index').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('builds_build_index_idx').on('builds').execute()
}
