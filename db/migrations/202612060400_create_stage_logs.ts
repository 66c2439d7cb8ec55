import { type Kysely, MysqlAdapter, sql } from 'kysely'

// What Jenkins said about a stage that failed: its error message and the end of its log, captured
// once when the stage ended Fail or Unstable, so reading it costs Jenkins nothing and it outlives
// the run. One row per captured stage, also when Jenkins had nothing (then both are empty), so a
// stage is never asked about twice. Deleted with its build (retention).
export async function up (db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter
  await db.schema.createTable('stage_logs')
    .addColumn('build_id', 'integer', (c) => c.notNull().references('builds.id').onDelete('cascade'))
    .addColumn('stage_id', 'integer', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    // up to 64 KiB of text: more than MariaDB's TEXT holds
    .addColumn('log', mysql ? sql`mediumtext` : 'text', (c) => c.notNull())
    .addColumn('truncated', 'integer', (c) => c.notNull())
    /** which API it came from: graph-view, wfapi or blue-ocean */
    .addColumn('source', 'varchar(16)', (c) => c.notNull())
    .addColumn('captured_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('stage_logs_pk', ['build_id', 'stage_id'])
    .modifyEnd(mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``)
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stage_logs').execute()
}
