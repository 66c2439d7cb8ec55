import { type Kysely, MysqlAdapter, sql } from 'kysely'

// Only types that mean the same on MySQL/MariaDB and SQLite. On MySQL every table is
// utf8mb4_bin so names compare exactly ("UShop" and "ushop" are two products), as on SQLite.
export async function up (db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter
  const tableOptions = mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``
  const bigText = mysql ? sql`mediumtext` : sql`text`

  await db.schema.createTable('products')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('products_name_uq', ['name'])
    .modifyEnd(tableOptions)
    .execute()

  await db.schema.createTable('plans')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('job_name', 'varchar(512)')
    .addColumn('last_build_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('plans_product_name_uq', ['product_id', 'name'])
    .modifyEnd(tableOptions)
    .execute()

  await db.schema.createTable('builds')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('plan_id', 'integer', (c) => c.notNull().references('plans.id'))
    .addColumn('build_index', 'integer', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('job_name', 'varchar(512)', (c) => c.notNull())
    .addColumn('parameter', bigText, (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'bigint')
    .addColumn('jenkins_build_number', 'integer')
    .addColumn('jenkins_url', 'varchar(1024)')
    .addColumn('create_time', 'bigint', (c) => c.notNull())
    .addColumn('start_time', 'bigint')
    .addColumn('end_time', 'bigint')
    .addUniqueConstraint('builds_plan_index_uq', ['plan_id', 'build_index'])
    .modifyEnd(tableOptions)
    .execute()
  // Build/list with a Status filter, newest first
  await db.schema
    .createIndex('builds_plan_status_index_idx')
    .on('builds')
    .columns(['plan_id', 'status', 'build_index'])
    .execute()
  // the poller's "unfinished builds" scan and the webhook's queue-id match
  await db.schema.createIndex('builds_status_idx').on('builds').column('status').execute()
  await db.schema.createIndex('builds_queue_id_idx').on('builds').column('queue_id').execute()

  await db.schema.createTable('stages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('build_id', 'integer', (c) => c.notNull().references('builds.id'))
    .addColumn('stage_id', 'integer', (c) => c.notNull())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('pre_stage_ids', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint')
    .addColumn('end_time', 'bigint')
    .addUniqueConstraint('stages_build_stage_uq', ['build_id', 'stage_id'])
    .addUniqueConstraint('stages_build_name_uq', ['build_id', 'name'])
    .modifyEnd(tableOptions)
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const table of ['stages', 'builds', 'plans', 'products']) await db.schema.dropTable(table).execute()
}
