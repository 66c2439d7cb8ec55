// Baselines on the same machine, in the same run: bare Fastify answering a JSON body of a given
// size (a), bare Fastify + the same database doing one primary-key SELECT (b), and bare Fastify +
// one single-row INSERT per POST (d): the fair ceiling for a write endpoint over HTTP.
import Fastify from 'fastify'
import { Kysely, sql } from 'kysely'
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

const mysql = (process.env.DATABASE_URL as string).startsWith('mysql')
await sql`create table if not exists bench_http_insert (id integer primary key ${sql.raw(mysql ? 'auto_increment' : 'autoincrement')}, v text not null)`.execute(db)
app.post('/insert', async (request) => {
  await sql`insert into bench_http_insert (v) values (${JSON.stringify(request.body ?? {})})`.execute(db)
  return { ErrorCode: 1000, Description: 'OK' }
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
console.log(`listening ${(app.server.address() as { port: number }).port}`)
