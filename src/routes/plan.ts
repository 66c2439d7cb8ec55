import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { invalid } from '../errors.js'
import { checkJobName } from '../lib/job-name.js'
import { addPlan, deletePlan, listPlans, updatePlan } from '../repositories/plans.js'
import { PlanSchema } from '../schemas/plan.js'
import { cleanName, EnvelopeSchema, IdSchema, PlanIdSchema, NameSchema, ok, OkEnvelope, responses, toInt } from '../schemas/common.js'

const DevOpsPlanID = PlanIdSchema
const PlanName = NameSchema('plan name')
const JobName = NameSchema('Jenkins job, folders as `folder/sub/job`', 512)
const JenkinsName = Type.String({ minLength: 1, maxLength: 64, description: 'a Jenkins instance named in JENKINS_INSTANCES' })

const plans: FastifyPluginAsyncTypebox = async (fastify) => {
  /** A JenkinsName must name a configured instance, so a plan never points at nothing. */
  function knownInstance (name: string | undefined): string | undefined {
    if (name != null && !fastify.jenkins.has(name)) {
      throw invalid(`body/JenkinsName "${name}" is not a configured Jenkins instance (JENKINS_INSTANCES)`)
    }
    return name
  }

  fastify.get('/Plan/list', {
    config: { access: 'read' },
    schema: {
      tags: ['Plan'],
      summary: 'List the DevOps plans of a product (获取某个 Product 下对应的 DevOpsPlan 的 list)',
      querystring: Type.Object({ ProductID: IdSchema('the product') }),
      response: responses(EnvelopeSchema({ TotalCount: Type.Integer(), PlanList: Type.Array(PlanSchema) }, 'the plans of the product',
        { TotalCount: 2, PlanList: [{ DevOpsPlanID: 1, PlanName: 'UShopApi', JobName: 'Test', JenkinsName: null }, { DevOpsPlanID: 2, PlanName: 'UShopMsgPro', JobName: null, JenkinsName: null }] }), ['InvalidParameter', 'NotFound'])
    }
  }, async (request) => {
    const list = await listPlans(fastify.db, toInt(request.query.ProductID))
    return ok({ TotalCount: list.length, PlanList: list })
  })

  fastify.post('/Plan/add', {
    config: { access: 'admin' },
    schema: {
      tags: ['Plan'],
      summary: 'Add a DevOps plan to a product',
      body: Type.Object({ ProductID: IdSchema('the product'), PlanName, JobName: Type.Optional(JobName), JenkinsName: Type.Optional(JenkinsName) },
        { examples: [{ ProductID: 1, PlanName: 'UShopApi', JobName: 'Test' }] }),
      response: responses(EnvelopeSchema({ DevOpsPlanID: Type.Integer() }), ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { ProductID, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    const id = await addPlan(fastify.db, toInt(ProductID), cleanName(PlanName), JobName == null ? null : cleanName(JobName),
      knownInstance(JenkinsName) ?? null)
    return ok({ DevOpsPlanID: id })
  })

  fastify.post('/Plan/update', {
    config: { access: 'admin' },
    schema: {
      tags: ['Plan'],
      summary: 'Rename a plan, change its default job or its Jenkins instance (null clears either)',
      body: Type.Object({
        DevOpsPlanID,
        PlanName: Type.Optional(PlanName),
        JobName: Type.Optional(Type.Union([JobName, Type.Null()])),
        JenkinsName: Type.Optional(Type.Union([JenkinsName, Type.Null()]))
      }),
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { DevOpsPlanID, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    await updatePlan(fastify.db, toInt(DevOpsPlanID), {
      name: PlanName == null ? undefined : cleanName(PlanName),
      jobName: JobName === undefined ? undefined : JobName === null ? null : cleanName(JobName),
      jenkinsName: JenkinsName === null ? null : knownInstance(JenkinsName)
    })
    return ok({})
  })

  fastify.post('/Plan/delete', {
    config: { access: 'admin' },
    schema: {
      tags: ['Plan'],
      summary: 'Delete a plan that has no builds',
      body: Type.Object({ DevOpsPlanID }),
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    await deletePlan(fastify.db, toInt(request.body.DevOpsPlanID))
    return ok({})
  })
}

export default plans
