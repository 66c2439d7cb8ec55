// Baselines on the same machine, in the same run: bare Fastify answering a JSON body of a given
// size (a), and bare Fastify + the same database doing one primary-key SELECT (b).
import Fastify from 'fastify'
import { Kysely } from 'kysely'
import { createDialect } from '../db/dialect.js'
import type { Database } from '../db/schema.js'

const db = new Kysely<Database>({ dialect: await createDialect(process.env.DATABASE_URL as string) })
const app = Fastify({ logger: false })
const bodies = new Map<number, string>()

app.get<{ Params: { bytes: string } }>('/json/:bytes', async (request, reply) => {
  const bytes = Number(request.params.bytes)
  let body = bodies.get(bytes)
  if (body == null) {
    body = JSON.stringify({ ErrorCode: 1000, Description: 'OK', Pad: 'x'.repeat(Math.max(0, bytes - 48)) })
    bodies.set(bytes, body)
  }
  return await reply.type('application/json; charset=utf-8').send(body)
})

app.get<{ Params: { id: string } }>('/pk/:id', async (request) => {
  const row = await db.selectFrom('builds').select(['build_index', 'status', 'start_time', 'detail']).where('id', '=', Number(request.params.id)).executeTakeFirst()
  return { ErrorCode: 1000, Description: 'OK', Row: row == null ? null : { ...row, detail: JSON.parse(row.detail) } }
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
console.log(`listening ${(app.server.address() as { port: number }).port}`)
