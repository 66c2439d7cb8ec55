import fp from 'fastify-plugin'
import { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { createDialect } from '../db/dialect.js'
import { migrateToLatest } from '../db/migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
  }
}

export default fp(async function database (fastify) {
  const url = fastify.config.DATABASE_URL
  const db = new Kysely<Database>({
    dialect: await createDialect(url, { poolSize: fastify.config.DATABASE_POOL_SIZE })
  })
  fastify.addHook('onClose', async () => { await db.destroy() })
  await migrateToLatest(db, fastify.log)
  fastify.decorate('db', db)
}, { name: 'database', dependencies: ['config'] })
