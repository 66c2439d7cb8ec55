import { type Kysely, MysqlAdapter, sql } from 'kysely'

// Versions that validate the read caches with one primary-key read, whatever process
// wrote: `plans.list_version` moves with every change a plan's Build/list shows (a new build, a
// status or time), `read_versions.catalog` with every product or plan change. Counters bumped in the
// writer's transaction, under the row lock, so their order is the commit order (an auto-increment
// id, such as the events table's, is not: a transaction can commit after a later id).
export async function up (db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter
  await db.schema.alterTable('plans').addColumn('list_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.createTable('read_versions')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .modifyEnd(mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``)
    .execute()
  await db.insertInto('read_versions').values({ name: 'catalog', version: 0 }).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('read_versions').execute()
  await db.schema.alterTable('plans').dropColumn('list_version').execute()
}
