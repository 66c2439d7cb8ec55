import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import t, { type Test } from 'tap'
import intLike from '../../plugins/int-like.js'
import { fastifyOptions } from '../../src/app.js'
import { EpochSchema, IdSchema, IntLike } from '../../src/schemas/common.js'

async function app (t: Test) {
  const fastify = Fastify(fastifyOptions()).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(intLike)
  const Id = IdSchema('an id')
  fastify.get('/q', { schema: { querystring: Type.Object({ Id, Page: Type.Optional(IntLike({ minimum: 1 }, '^[1-9][0-9]*$', 'page')) }) } },
    async (request) => ({ types: [typeof request.query.Id, typeof request.query.Page], query: request.query }))
  fastify.post('/b', {
    schema: {
      body: Type.Object({
        Id,
        Ids: Type.Optional(Type.Array(Id)),
        At: Type.Optional(EpochSchema('when')),
        Name: Type.Optional(Type.String()),
        Nested: Type.Optional(Type.Object({ Id }))
      })
    }
  }, async (request) => request.body)
  fastify.post('/plain', { schema: { body: Type.Object({ Name: Type.String() }) } }, async (request) => request.body)
  t.teardown(async () => { await fastify.close() })
  return fastify
}

t.test('integer-like fields reach the handler as numbers, whether sent as integers or digits', async (t) => {
  const fastify = await app(t)
  const q = await fastify.inject({ url: '/q?Id=7&Page=2' })
  t.equal(q.statusCode, 200)
  t.same(q.json(), { types: ['number', 'number'], query: { Id: 7, Page: 2 } })
  const absent = await fastify.inject({ url: '/q?Id=7' })
  t.same(absent.json().types, ['number', 'undefined'], 'an absent optional field stays absent')
  const b = await fastify.inject({
    method: 'POST', url: '/b', payload: { Id: '3', Ids: ['1', 2, '30'], At: '1491904800', Name: '12', Nested: { Id: '9' } }
  })
  t.equal(b.statusCode, 200)
  t.same(b.json(), { Id: 3, Ids: [1, 2, 30], At: 1491904800, Name: '12', Nested: { Id: 9 } },
    'arrays and nested objects too; a plain string field is left alone')
  t.same((await fastify.inject({ method: 'POST', url: '/b', payload: { Id: 4 } })).json(), { Id: 4 })
})

t.test('what is not a string of digits is refused by validation, before any conversion', async (t) => {
  const fastify = await app(t)
  for (const bad of ['abc', '-1', '1.5', '', 'true']) {
    const r = await fastify.inject({ method: 'POST', url: '/b', payload: { Id: bad } })
    t.equal(r.statusCode, 400, JSON.stringify(bad))
  }
  t.equal((await fastify.inject({ method: 'POST', url: '/b', payload: { Id: true } })).statusCode, 400, 'true is not 1')
})

t.test('a route without integer-like fields is left as it was', async (t) => {
  const fastify = await app(t)
  t.same((await fastify.inject({ method: 'POST', url: '/plain', payload: { Name: '5' } })).json(), { Name: '5' })
})
