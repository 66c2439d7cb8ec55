import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { formParameters } from '../builds/parameters.js'
import { invalid } from '../errors.js'
import { checkJobName } from '../lib/job-name.js'
import { VersionedReader } from '../lib/versioned-reader.js'
import { addPlan, deletePlan, getPlan, listPlans, updatePlan } from '../repositories/plans.js'
import { catalogVersion } from '../repositories/read-versions.js'
import { normalizeName } from '../lib/names.js'
import { cleanName, ok } from '../schemas/common.js'
import { PlanAdd, PlanDelete, PlanList, PlanParameters, PlanUpdate } from '../schemas/plan.js'

const plans: FastifyPluginAsyncTypebox = async (fastify) => {
  // per product, valid while the catalog version is (every product or plan write bumps it)
  const catalog = new VersionedReader(8 * 1024 * 1024, async () => await catalogVersion(fastify.db))
  /** A JenkinsName must name a configured instance, so a plan never points at nothing. */
  function knownInstance (name: string | undefined): string | undefined {
    if (name != null && !fastify.jenkins.has(name)) {
      throw invalid(`body/JenkinsName "${name}" is not a configured Jenkins instance (JENKINS_INSTANCES)`)
    }
    return name
  }
  const jobOf = (name: string | null | undefined) => name == null ? name : cleanName(name)

  fastify.get('/Plan/list', { config: { access: 'read' }, schema: PlanList }, async (request, reply) => {
    const productId = request.query.ProductID
    return await reply.cached(catalog.read('catalog', async () => {
      const list = await listPlans(fastify.db, productId)
      return ok({ TotalCount: list.length, PlanList: list })
    }, productId))
  })

  fastify.post('/Plan/add', { config: { access: 'admin' }, schema: PlanAdd }, async (request) => {
    const { ProductID, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    const job = jobOf(JobName) ?? null
    const instance = knownInstance(JenkinsName) ?? null
    const id = await addPlan(fastify.db, ProductID, normalizeName(PlanName, 'body/PlanName'), job, instance)
    return ok({ DevOpsPlanID: id, JobName: job, JenkinsName: instance })
  })

  fastify.get('/Plan/parameters', { config: { access: 'read' }, schema: PlanParameters }, async (request) => {
    const { jobName, defs } = await formParameters(fastify.db, fastify.jenkins, request.query.DevOpsPlanID)
    const ParameterList = defs.map((d) => ({
      Name: d.name,
      Type: d.type,
      Default: d.type === 'password' ? '' : (d.default ?? ''),
      Choices: d.choices,
      Description: d.description
    }))
    return ok({ JobName: jobName, ParameterList })
  })

  fastify.post('/Plan/update', { config: { access: 'admin' }, schema: PlanUpdate }, async (request) => {
    const { DevOpsPlanID: id, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    await updatePlan(fastify.db, id, {
      name: PlanName == null ? undefined : normalizeName(PlanName, 'body/PlanName'),
      jobName: jobOf(JobName),
      jenkinsName: JenkinsName === null ? null : knownInstance(JenkinsName)
    })
    const plan = await getPlan(fastify.db, id)
    return ok({ DevOpsPlanID: plan.id, JobName: plan.job_name, JenkinsName: plan.jenkins_name })
  })

  fastify.post('/Plan/delete', { config: { access: 'admin' }, schema: PlanDelete }, async (request) => {
    await deletePlan(fastify.db, request.body.DevOpsPlanID)
    return ok({})
  })
}

export default plans
