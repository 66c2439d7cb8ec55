import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { notFound } from '../errors.js'

// The counters that validate the read caches (src/lib/versioned-cache.ts). Each is bumped inside
// the writer's transaction, so a reader in any process that sees the new data sees the new version.

type Db = Kysely<Database>

/** Moves with every product or plan change: Product/list and Plan/list. */
export async function catalogVersion (db: Db): Promise<string> {
  const row = await db.selectFrom('read_versions').select('version').where('name', '=', 'catalog').executeTakeFirst()
  return String(row?.version ?? 0)
}

export async function bumpCatalog (trx: Db): Promise<void> {
  await trx
    .updateTable('read_versions')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('name', '=', 'catalog')
    .execute()
}

/** The plan's Build/list version with the catalog's (a deleted plan changes that); null: no such plan. */
export async function planListVersion (db: Db, planId: number): Promise<string | null> {
  const row = await db
    .selectFrom('plans')
    .select((eb) => [
      'list_version',
      eb.selectFrom('read_versions').select('version').where('name', '=', 'catalog').as('catalog')
    ])
    .where('id', '=', planId)
    .executeTakeFirst()
  return row == null ? null : `${String(row.list_version)}.${String(row.catalog)}`
}

/** planListVersion of a plan that must exist: NotFound when there is none. */
export async function existingPlanListVersion (db: Db, planId: number): Promise<string> {
  const version = await planListVersion(db, planId)
  if (version == null) throw notFound('plan')
  return version
}

/** A build of the plan changed what Build/list shows (status, times); called in the writer's transaction. */
export async function bumpPlanListOfBuild (trx: Db, buildId: number): Promise<void> {
  await trx.updateTable('plans').set((eb) => ({ list_version: eb('list_version', '+', 1) }))
    .where('id', '=', (eb) => eb.selectFrom('builds').select('plan_id').where('id', '=', buildId)).execute()
}

/** A build as the API names it. */
export interface BuildKey { DevOpsPlanID: number, BuildIndex: number }

/** The key a build's cached answers go under. */
export const buildKey = ({ DevOpsPlanID, BuildIndex }: BuildKey): string => `${DevOpsPlanID}/${BuildIndex}`
