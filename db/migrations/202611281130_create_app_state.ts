import { type Kysely, MysqlAdapter, sql } from 'kysely'

// Facts about the installation that outlive any row: `open_mode_ended` is written with the first
// API token and never removed, so revoking every token does not reopen the server.
export async function up (db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter
  await db.schema.createTable('app_state')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .modifyEnd(mysql ? sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin` : sql``)
    .execute()
  // an installation that already has a token has already left open mode
  const first = await db.selectFrom('api_tokens').select('created_at').orderBy('created_at').limit(1).executeTakeFirst()
  if (first != null) {
    await db
      .insertInto('app_state')
      .values({ name: 'open_mode_ended', value: 'backfilled', updated_at: first.created_at })
      .execute()
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('app_state').execute()
}
