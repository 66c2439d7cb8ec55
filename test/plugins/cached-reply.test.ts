import Fastify from 'fastify'
import etag from '@fastify/etag'
import t from 'tap'
import cachedReply from '../../plugins/cached-reply.js'
import { VersionedCache } from '../../src/lib/versioned-cache.js'

t.test('reply.cached sends the serialized answer as JSON with its own ETag; a matching If-None-Match gets 304', async (t) => {
  const fastify = Fastify()
  await fastify.register(etag)
  await fastify.register(cachedReply)
  const cache = new VersionedCache<string>(1024)
  let computed = 0
  fastify.get('/a', async (_request, reply) => await reply.cached(cache.through('a', '1', async () => ({ n: ++computed }))))
  t.teardown(async () => { await fastify.close() })

  const first = await fastify.inject({ url: '/a' })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(first.body, '{"n":1}')
  const expected = (await cache.through('a', '1', async () => ({ n: 0 }))).etag
  t.equal(first.headers.etag, expected, 'the ETag hashed when the answer was cached, not a new one')
  const again = await fastify.inject({ url: '/a', headers: { 'if-none-match': expected } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  t.equal(computed, 1)
})
