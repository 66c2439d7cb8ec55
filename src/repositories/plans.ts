import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { Plan } from '../schemas/plan.js'
import { conflict, notFound } from '../errors.js'
import { now } from '../lib/time.js'
import { isUniqueViolation } from './db-errors.js'
import { productExists } from './products.js'
import { bumpCatalog } from './read-versions.js'

type Db = Kysely<Database>

/** The columns of a plan the services need. */
export interface PlanRecord {
  id: number
  product_id: number
  name: string
  job_name: string | null
  jenkins_name: string | null
}

export async function listPlans (db: Db, productId: number): Promise<Plan[]> {
  if (!(await productExists(db, productId))) throw notFound('product')
  return await db.selectFrom('plans')
    .select(['id as DevOpsPlanID', 'name as PlanName', 'job_name as JobName', 'jenkins_name as JenkinsName'])
    .where('product_id', '=', productId).orderBy('id').execute()
}

export async function getPlan (db: Db, id: number): Promise<PlanRecord> {
  const plan = await db.selectFrom('plans').select(['id', 'product_id', 'name', 'job_name', 'jenkins_name'])
    .where('id', '=', id).executeTakeFirst()
  if (plan == null) throw notFound('plan')
  return plan
}

export async function addPlan (
  db: Db,
  productId: number,
  name: string,
  jobName: string | null,
  jenkinsName: string | null = null
): Promise<number> {
  if (!(await productExists(db, productId))) throw notFound('product')
  try {
    return await db.transaction().execute(async (trx) => {
      const r = await trx
        .insertInto('plans')
        .values({ product_id: productId, name, job_name: jobName, jenkins_name: jenkinsName, created_at: now() })
        .executeTakeFirstOrThrow()
      await bumpCatalog(trx)
      return Number(r.insertId)
    })
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`PlanName "${name}" already exists in this product`)
    throw err
  }
}

export async function updatePlan (
  db: Db,
  id: number,
  change: { name?: string, jobName?: string | null, jenkinsName?: string | null }
): Promise<void> {
  await getPlan(db, id)
  const set: { name?: string, job_name?: string | null, jenkins_name?: string | null } = {}
  if (change.name !== undefined) set.name = change.name
  if (change.jobName !== undefined) set.job_name = change.jobName
  if (change.jenkinsName !== undefined) set.jenkins_name = change.jenkinsName
  if (Object.keys(set).length === 0) return
  try {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('plans').set(set).where('id', '=', id).execute()
      await bumpCatalog(trx)
    })
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`PlanName "${change.name ?? ''}" already exists in this product`)
    throw err
  }
}

export async function deletePlan (db: Db, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await getPlan(trx, id)
    const build = await trx.selectFrom('builds').select('id').where('plan_id', '=', id).limit(1).executeTakeFirst()
    if (build != null) throw conflict('plan has builds: it cannot be deleted')
    await trx.deleteFrom('plans').where('id', '=', id).execute()
    await bumpCatalog(trx)
  })
}
