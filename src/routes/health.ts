import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { ERRORS, ErrorCode } from '../errors.js'
import { migrator } from '../../db/migrate.js'
import { probeWrite } from '../repositories/db-errors.js'

// /healthz: the process answers. /readyz: the database answers and is migrated; each Jenkins' state
// (the poller's view, plus a cheap request cached 30 s) and its stage API are reported but never fail readiness.
// A database that answers but refuses writes (disk full, read-only file or server) is not ready.
export default fp(async function health (fastify) {
  fastify.get('/healthz', { schema: { hide: true } }, async () => ({ ErrorCode: ErrorCode.OK, Description: 'OK' }))

  // a refusal seen lately (by a request), else a probe write at most every 30 s or after a refusal
  const writeRefused = async (): Promise<string | null> => {
    const writes = fastify.dbWrites
    if (writes.probeDue()) {
      try {
        await probeWrite(fastify.db)
      } catch (err) {
        const cause = writes.observe(err)
        if (cause == null) throw err
        fastify.log.warn({ err }, 'readiness: the database refused a write')
      }
      writes.probed()
    }
    return writes.recentRefusal()
  }

  fastify.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const jenkins = await fastify.poller.monitor.readiness()
    const notReady = async (Database: 'pending' | 'read-only' | 'down', Description: string) =>
      await reply.code(ERRORS.DatabaseUnavailable.http)
        .send({ ErrorCode: ErrorCode.DatabaseUnavailable, Description, Database, Jenkins: jenkins })
    try {
      await sql`select 1`.execute(fastify.db)
      const pending = (await migrator(fastify.db).getMigrations())
        .filter((m) => m.executedAt == null)
        .map((m) => m.name)
      if (pending.length > 0) return await notReady('pending', `database not migrated: ${pending.join(', ')}`)
      // a database that answers but cannot write (disk full, read-only) is not ready either
      const refused = await writeRefused()
      if (refused != null) return await notReady('read-only', `the database cannot write: ${refused}`)
      return { ErrorCode: ErrorCode.OK, Description: 'OK', Database: 'ok', Jenkins: jenkins }
    } catch (err) {
      fastify.log.warn({ err }, 'readiness: database unreachable')
      return await notReady('down', 'database unreachable')
    }
  })
}, { name: 'health', dependencies: ['database', 'poller'] })
