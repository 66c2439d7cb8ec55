import { type Kysely, MysqlAdapter, sql } from 'kysely'

// The append-only history of builds and stages (docs/API.md "Event history and live stream").
// (plan_id, id) keeps "events after id N for plan P" one range scan; (build_id, id) serves Build/events.
export async function up (db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter
  await db.schema.createTable('events')
    .addColumn('id', mysql ? 'bigint' : 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('build_id', 'integer', (c) => c.notNull().references('builds.id'))
    .addColumn('plan_id', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'integer', (c) => c.notNull())
    .addColumn('build_index', 'integer', (c) => c.notNull())
    .addColumn('stage_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('source', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .modifyEnd(mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``)
    .execute()
  await db.schema.createIndex('events_plan_id_idx').on('events').columns(['plan_id', 'id']).execute()
  await db.schema.createIndex('events_build_id_idx').on('events').columns(['build_id', 'id']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('events').execute()
}
