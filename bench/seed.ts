import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface Seeded {
  /** plan with the 10,000 builds */
  bigPlan: number
  finishedBuild: number
  runningBuild: number
  /** plan whose builds take the Build/update traffic */
  updatePlan: number
  updateBuilds: number
  /** plan on the Jenkins double's job "Bench" */
  addPlan: number
  /** builds.id of one build, for the primary-key baseline */
  someBuildId: number
}

const STATUSES = ['Pass', 'Pass', 'Pass', 'Fail', 'Pass', 'Unstable', 'Pass', 'Aborted', 'Pass', 'Fail']

/** Realistic data: 10 products, 50 plans, 10,000 builds on one plan, 20 stages on a finished and a running build. */
export async function seed (db: Kysely<Database>, builds = 10_000, updateBuilds = 200): Promise<Seeded> {
  const now = Math.floor(Date.now() / 1000)
  for (let p = 1; p <= 10; p++) await db.insertInto('products').values({ name: `Product ${p}`, created_at: now }).execute()
  for (let p = 1; p <= 10; p++) {
    for (let k = 1; k <= 5; k++) {
      await db.insertInto('plans').values({ product_id: p, name: `Plan ${p}.${k}`, job_name: k === 3 ? 'Bench' : 'Test', created_at: now }).execute()
    }
  }
  const plans = await db.selectFrom('plans').select(['id', 'name']).orderBy('id').execute()
  const bigPlan = plans[0].id
  const updatePlan = plans[1].id
  const addPlan = plans[2].id

  const parameter = (planId: number, i: number) => JSON.stringify({ parameter: [{ name: 'Branch', value: 'main' }, { name: 'DevOpsPlanID', value: String(planId) }, { name: 'BuildIndex', value: String(i) }] })
  const rows = (planId: number, n: number, status: (i: number) => string) => Array.from({ length: n }, (_, k) => {
    const i = k + 1
    const s = status(i)
    const start = now - (n - i) * 600
    return {
      plan_id: planId,
      build_index: i,
      status: s,
      job_name: 'Test',
      parameter: parameter(planId, i),
      detail: '{}',
      queue_id: 1000 + i,
      jenkins_build_number: i,
      jenkins_url: `http://jenkins:8080/job/Test/${i}/`,
      create_time: start - 5,
      start_time: start,
      end_time: s === 'Running' ? null : start + 300,
      poll_after: s === 'Running' ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER // nothing here for a poller
    }
  })
  const big = rows(bigPlan, builds, (i) => i >= builds - 2 ? 'Running' : STATUSES[i % STATUSES.length])
  for (let k = 0; k < big.length; k += 500) await db.insertInto('builds').values(big.slice(k, k + 500)).execute()
  await db.updateTable('plans').set({ last_build_index: builds }).where('id', '=', bigPlan).execute()
  const upd = rows(updatePlan, updateBuilds, () => 'Running')
  for (let k = 0; k < upd.length; k += 500) await db.insertInto('builds').values(upd.slice(k, k + 500)).execute()
  await db.updateTable('plans').set({ last_build_index: updateBuilds }).where('id', '=', updatePlan).execute()

  const finishedBuild = builds - 10
  const runningBuild = builds
  for (const [index, running] of [[finishedBuild, false], [runningBuild, true]] as const) {
    const b = await db.selectFrom('builds').select(['id', 'start_time']).where('plan_id', '=', bigPlan).where('build_index', '=', index).executeTakeFirstOrThrow()
    const start = b.start_time as number
    await db.insertInto('stages').values(Array.from({ length: 20 }, (_, k) => ({
      build_id: b.id,
      stage_id: k + 1,
      name: `Stage ${k + 1}`,
      pre_stage_ids: JSON.stringify(k === 0 ? [] : k % 5 === 0 ? [k - 1, k] : [k]),
      status: running && k === 19 ? 'Running' : 'Pass',
      detail: JSON.stringify({ URL: `http://jenkins:8080/job/Test/${index}/console`, JenkinsNodeID: String(6 + k * 5) }),
      start_time: start + k * 10,
      end_time: running && k === 19 ? null : start + k * 10 + 9
    }))).execute()
  }
  const some = await db.selectFrom('builds').select('id').where('plan_id', '=', bigPlan).where('build_index', '=', finishedBuild).executeTakeFirstOrThrow()
  return { bigPlan, finishedBuild, runningBuild, updatePlan, updateBuilds, addPlan, someBuildId: some.id }
}

/** 2,000 builds Jenkins is running (numbers known), for the poller's scale figure. */
export async function seedRunning (db: Kysely<Database>, n: number): Promise<number> {
  const now = Math.floor(Date.now() / 1000)
  await db.insertInto('products').values({ name: 'Poll', created_at: now }).execute()
  await db.insertInto('plans').values({ product_id: 1, name: 'Poll', job_name: 'Bench', created_at: now, last_build_index: n }).execute()
  const rows = Array.from({ length: n }, (_, k) => ({
    plan_id: 1,
    build_index: k + 1,
    status: 'Running',
    job_name: 'Bench',
    parameter: '{"parameter":[]}',
    detail: '{}',
    queue_id: k + 1,
    jenkins_build_number: k + 1,
    jenkins_url: null,
    create_time: now,
    start_time: now,
    end_time: null
  }))
  for (let k = 0; k < rows.length; k += 500) await db.insertInto('builds').values(rows.slice(k, k + 500)).execute()
  return n
}
