import type { Kysely } from 'kysely'

// The W3C trace id the service sends as `traceparent` when it triggers a build: Jenkins'
// OpenTelemetry plugin makes it the run's trace id, so every span it exports names our build.
// Indexed: each OTLP batch looks its traces up by this column.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('trace_id', 'varchar(32)').execute()
  await db.schema.createIndex('builds_trace_id').on('builds').column('trace_id').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('builds_trace_id').on('builds').execute()
  await db.schema.alterTable('builds').dropColumn('trace_id').execute()
}
