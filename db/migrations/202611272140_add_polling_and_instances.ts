import type { Kysely } from 'kysely'

// Poller bookkeeping on builds, and the Jenkins instance a plan (and each of its builds) runs on.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('plans').addColumn('jenkins_name', 'varchar(64)').execute()
  await db.schema.alterTable('builds').addColumn('jenkins_name', 'varchar(64)').execute()
  // epoch ms before which no poller may take the build: a lease while polled, a backoff after errors,
  // MAX_SAFE_INTEGER once Jenkins says the build is over
  await db.schema.alterTable('builds').addColumn('poll_after', 'bigint', (c) => c.notNull().defaultTo(0)).execute()
  // which poller tick holds the lease
  await db.schema.alterTable('builds').addColumn('poll_token', 'varchar(64)').execute()
  await db.schema.alterTable('builds').addColumn('poll_errors', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema
    .alterTable('builds')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.createIndex('builds_poll_after_idx').on('builds').column('poll_after').execute()
  await db.schema.createIndex('builds_poll_token_idx').on('builds').column('poll_token').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('builds_poll_token_idx').on('builds').execute()
  await db.schema.dropIndex('builds_poll_after_idx').on('builds').execute()
  for (const c of ['cancel_requested', 'poll_errors', 'poll_token', 'poll_after', 'jenkins_name']) {
    await db.schema.alterTable('builds').dropColumn(c).execute()
  }
  await db.schema.alterTable('plans').dropColumn('jenkins_name').execute()
}
