import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { Writable } from 'node:stream'
import t from 'tap'
import app, { API_PREFIX, fastifyOptions } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { freshDatabase } from '../helper.js'

// Logging costs: one line per request at info (not Fastify's two), query tokens masked.
t.test('one log line per request, with status and time, tokens masked', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l))
      done()
    }
  })
  const config = loadConfig({ LOG_LEVEL: 'info', DATABASE_URL: await freshDatabase(t) })
  const fastify = Fastify(fastifyOptions({ level: 'info', stream }))
  await fastify.register(fp(app), { config, pollerAutoStart: false })
  await fastify.ready()
  t.teardown(async () => { await fastify.close() })

  lines.length = 0
  const res = await fastify.inject({ url: `${API_PREFIX}/Product/list?src=ci&token=SECRET-1` })
  t.equal(res.statusCode, 200)
  const perRequest = lines.filter((l) => l.reqId != null)
  t.equal(perRequest.length, 1, 'exactly one line for the request')
  t.match(perRequest[0], { msg: 'request', method: 'GET', status: 200, ms: Number })
  t.notMatch(JSON.stringify(lines), /SECRET-1/, 'the token is not logged')
  t.match(perRequest[0].url, /token=\[REDACTED\]/)
})
