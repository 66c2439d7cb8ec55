import type { Kysely } from 'kysely'

// An event stream filtered by ProductID alone reads its backlog as "events of product P after id N":
// without this index each such stream scanned the whole events table.
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('events_product_id_idx').on('events').columns(['product_id', 'id']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('events_product_id_idx').on('events').execute()
}
