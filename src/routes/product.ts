import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { VersionedReader } from '../lib/versioned-reader.js'
import { addProduct, deleteProduct, listProducts, renameProduct } from '../repositories/products.js'
import { catalogVersion } from '../repositories/read-versions.js'
import { normalizeName } from '../lib/names.js'
import { ok } from '../schemas/common.js'
import { ProductAdd, ProductDelete, ProductList, ProductUpdate } from '../schemas/product.js'

const products: FastifyPluginAsyncTypebox = async (fastify) => {
  // one answer, valid while the catalog version is (every product or plan write bumps it)
  const catalog = new VersionedReader(4 * 1024 * 1024, async () => await catalogVersion(fastify.db))

  fastify.get('/Product/list', { config: { access: 'read' }, schema: ProductList }, async (_request, reply) =>
    await reply.cached(catalog.read('catalog', async () => {
      const list = await listProducts(fastify.db)
      return ok({ TotalCount: list.length, ProductList: list })
    })))

  fastify.post('/Product/add', { config: { access: 'admin' }, schema: ProductAdd }, async (request) =>
    ok({ ProductID: await addProduct(fastify.db, normalizeName(request.body.ProductName, 'body/ProductName')) }))

  fastify.post('/Product/update', { config: { access: 'admin' }, schema: ProductUpdate }, async (request) => {
    await renameProduct(fastify.db, request.body.ProductID, normalizeName(request.body.ProductName, 'body/ProductName'))
    return ok({})
  })

  fastify.post('/Product/delete', { config: { access: 'admin' }, schema: ProductDelete }, async (request) => {
    await deleteProduct(fastify.db, request.body.ProductID)
    return ok({})
  })
}

export default products
