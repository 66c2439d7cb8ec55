import { type Static, Type } from '@sinclair/typebox'

export const ProductSchema = Type.Object({ ProductID: Type.Integer(), ProductName: Type.String() })
export type Product = Static<typeof ProductSchema>
