import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { addProduct, deleteProduct, listProducts, renameProduct } from '../repositories/products.js'
import { catalogVersion } from '../repositories/read-versions.js'
import { ProductSchema } from '../schemas/product.js'
import { VersionedCache } from '../lib/versioned-cache.js'
import { ReadBatcher } from '../lib/read-batcher.js'
import { normalizeName } from '../lib/names.js'
import { EnvelopeSchema, IdSchema, JSON_UTF8, NameSchema, ok, OkEnvelope, responses, toInt } from '../schemas/common.js'

const ProductID = IdSchema('the product')
const ProductName = NameSchema('product name')

const products: FastifyPluginAsyncTypebox = async (fastify) => {
  // one entry, validated by the catalog version (every product or plan write bumps it)
  const listCache = new VersionedCache<'all'>(4 * 1024 * 1024)
  const versions = new ReadBatcher<'catalog', string>()
  fastify.get('/Product/list', {
    config: { access: 'read' },
    schema: {
      tags: ['Product'],
      summary: 'List products (获取 Product 的列表)',
      response: responses(EnvelopeSchema({ TotalCount: Type.Integer(), ProductList: Type.Array(ProductSchema) }, 'the products',
        { TotalCount: 2, ProductList: [{ ProductID: 1, ProductName: 'UShop' }, { ProductID: 2, ProductName: 'RMM' }] }))
    }
  }, async (_request, reply) => {
    const version = await versions.read('catalog', async () => await catalogVersion(fastify.db))
    const answer = await listCache.through('all', version, async () => {
      const list = await listProducts(fastify.db)
      return ok({ TotalCount: list.length, ProductList: list })
    })
    return await reply.type(JSON_UTF8).header('etag', answer.etag).send(answer.body)
  })

  fastify.post('/Product/add', {
    config: { access: 'admin' },
    schema: {
      tags: ['Product'],
      summary: 'Add a product',
      body: Type.Object({ ProductName }, { examples: [{ ProductName: 'UShop' }] }),
      response: responses(EnvelopeSchema({ ProductID: Type.Integer() }), ['InvalidParameter', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => ok({ ProductID: await addProduct(fastify.db, normalizeName(request.body.ProductName, 'body/ProductName')) }))

  fastify.post('/Product/update', {
    config: { access: 'admin' },
    schema: {
      tags: ['Product'],
      summary: 'Rename a product',
      body: Type.Object({ ProductID, ProductName }),
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    await renameProduct(fastify.db, toInt(request.body.ProductID), normalizeName(request.body.ProductName, 'body/ProductName'))
    return ok({})
  })

  fastify.post('/Product/delete', {
    config: { access: 'admin' },
    schema: {
      tags: ['Product'],
      summary: 'Delete a product that has no plans',
      body: Type.Object({ ProductID }),
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    await deleteProduct(fastify.db, toInt(request.body.ProductID))
    return ok({})
  })
}

export default products
