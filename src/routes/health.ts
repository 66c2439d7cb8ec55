import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { ERRORS, ErrorCode } from '../errors.js'
import { migrator } from '../../db/migrate.js'

// /healthz: the process answers. /readyz: the database answers and is migrated; each Jenkins' state
// (the poller's view, plus a cheap request cached 30 s) and its stage API are reported but never fail readiness.
export default fp(async function health (fastify) {
  fastify.get('/healthz', { schema: { hide: true } }, async () => ({ ErrorCode: ErrorCode.OK, Description: 'OK' }))

  fastify.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const jenkins = await fastify.poller.monitor.readiness()
    try {
      await sql`select 1`.execute(fastify.db)
      const pending = (await migrator(fastify.db).getMigrations()).filter((m) => m.executedAt == null).map((m) => m.name)
      if (pending.length > 0) {
        return await reply.code(ERRORS.DatabaseUnavailable.http).send({ ErrorCode: ErrorCode.DatabaseUnavailable, Description: `database not migrated: ${pending.join(', ')}`, Database: 'pending', Jenkins: jenkins })
      }
      return { ErrorCode: ErrorCode.OK, Description: 'OK', Database: 'ok', Jenkins: jenkins }
    } catch (err) {
      fastify.log.warn({ err }, 'readiness: database unreachable')
      return await reply.code(ERRORS.DatabaseUnavailable.http).send({ ErrorCode: ErrorCode.DatabaseUnavailable, Description: 'database unreachable', Database: 'down', Jenkins: jenkins })
    }
  })
}, { name: 'health', dependencies: ['database', 'poller'] })
