import type { Kysely } from 'kysely'

// Idempotent Build/add (request_id), builds Jenkins starts itself (source, cause,
// jenkins_key) and the per-(instance, job) watermark of discovery.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('request_id', 'varchar(128)').execute()
  // 'api' (Build/add) or 'jenkins' (discovered); cause = Jenkins' CauseAction text, null for API builds
  await db.schema.alterTable('builds').addColumn('source', 'varchar(16)', (c) => c.notNull().defaultTo('api')).execute()
  await db.schema.alterTable('builds').addColumn('cause', 'varchar(1024)').execute()
  // set on discovered builds only ('' = the default instance), so API builds never meet this key
  await db.schema.alterTable('builds').addColumn('jenkins_key', 'varchar(64)').execute()
  // NULL request ids never collide (SQLite and MariaDB alike): only builds that carry one are unique
  await db.schema
    .createIndex('builds_plan_request_uq')
    .unique()
    .on('builds')
    .columns(['plan_id', 'request_id'])
    .execute()
  // two processes import one Jenkins run once per plan
  await db.schema.createIndex('builds_plan_run_uq').unique().on('builds')
    .columns(['plan_id', 'jenkins_key', 'job_name', 'jenkins_build_number']).execute()
  await db.schema.createTable('discovery_marks')
    .addColumn('jenkins_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('job_name', 'varchar(512)', (c) => c.notNull())
    // highest run number already considered; first sighting = nextBuildNumber - 1 (no backfill)
    .addColumn('last_number', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('discovery_marks_pk', ['jenkins_key', 'job_name'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('discovery_marks').execute()
  await db.schema.dropIndex('builds_plan_run_uq').on('builds').execute()
  await db.schema.dropIndex('builds_plan_request_uq').on('builds').execute()
  for (const c of ['jenkins_key', 'cause', 'source', 'request_id']) {
    await db.schema.alterTable('builds').dropColumn(c).execute()
  }
}
