import { type Static, Type } from '@sinclair/typebox'
import { EnvelopeSchema, IdSchema, NameSchema, OkEnvelope, responses } from './common.js'

export const ProductSchema = Type.Object({ ProductID: Type.Integer(), ProductName: Type.String() })
export type Product = Static<typeof ProductSchema>

const ProductID = IdSchema('the product')
const ProductName = NameSchema('product name')

export const ProductList = {
  tags: ['Product'],
  summary: 'List products (获取 Product 的列表)',
  response: responses(
    EnvelopeSchema({ TotalCount: Type.Integer(), ProductList: Type.Array(ProductSchema) }, 'the products', {
      TotalCount: 2,
      ProductList: [
        { ProductID: 1, ProductName: 'UShop' },
        { ProductID: 2, ProductName: 'RMM' }
      ]
    })
  )
}

export const ProductAdd = {
  tags: ['Product'],
  summary: 'Add a product',
  body: Type.Object({ ProductName }, { examples: [{ ProductName: 'UShop' }] }),
  response: responses(EnvelopeSchema({ ProductID: Type.Integer() }), ['InvalidParameter', 'Conflict', 'BodyTooLarge'])
}

export const ProductUpdate = {
  tags: ['Product'],
  summary: 'Rename a product',
  body: Type.Object({ ProductID, ProductName }),
  response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
}

export const ProductDelete = {
  tags: ['Product'],
  summary: 'Delete a product that has no plans',
  body: Type.Object({ ProductID }),
  response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
}
