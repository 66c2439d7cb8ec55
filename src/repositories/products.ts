import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { Product } from '../schemas/product.js'
import { conflict, notFound } from '../errors.js'
import { now } from '../lib/time.js'
import { isUniqueViolation } from './db-errors.js'
import { bumpCatalog } from './read-versions.js'

type Db = Kysely<Database>

export async function listProducts (db: Db): Promise<Product[]> {
  return await db.selectFrom('products').select(['id as ProductID', 'name as ProductName']).orderBy('id').execute()
}

export async function productExists (db: Db, id: number): Promise<boolean> {
  return (await db.selectFrom('products').select('id').where('id', '=', id).executeTakeFirst()) != null
}

export async function addProduct (db: Db, name: string): Promise<number> {
  try {
    return await db.transaction().execute(async (trx) => {
      const r = await trx.insertInto('products').values({ name, created_at: now() }).executeTakeFirstOrThrow()
      await bumpCatalog(trx)
      return Number(r.insertId)
    })
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`ProductName "${name}" already exists`)
    throw err
  }
}

export async function renameProduct (db: Db, id: number, name: string): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('products').set({ name }).where('id', '=', id).executeTakeFirst()
      // no row updated: either no such product, or (on drivers that count changed rows) the same name
      if (Number(r.numUpdatedRows) === 0 && !(await productExists(trx, id))) throw notFound('product')
      await bumpCatalog(trx)
    })
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`ProductName "${name}" already exists`)
    throw err
  }
}

export async function deleteProduct (db: Db, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await productExists(trx, id))) throw notFound('product')
    const plan = await trx.selectFrom('plans').select('id').where('product_id', '=', id).limit(1).executeTakeFirst()
    if (plan != null) throw conflict('product still has plans: delete them first')
    await trx.deleteFrom('products').where('id', '=', id).execute()
    await bumpCatalog(trx)
  })
}
