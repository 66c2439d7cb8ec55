import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { apiError, invalid } from '../errors.js'
import { definitionsOf, INJECTED } from '../builds/parameters.js'
import { JenkinsError } from '../jenkins/client.js'
import { addPlan, deletePlan, getPlan, listPlans, updatePlan } from '../repositories/plans.js'
import { checkJobName } from '../lib/job-name.js'
import { normalizeName } from '../lib/names.js'
import { catalogVersion } from '../repositories/read-versions.js'
import { PlanSchema } from '../schemas/plan.js'
import { VersionedCache } from '../lib/versioned-cache.js'
import { ReadBatcher } from '../lib/read-batcher.js'
import { cleanName, EnvelopeSchema, IdSchema, JSON_UTF8, PlanIdSchema, NameSchema, ok, OkEnvelope, responses, toInt } from '../schemas/common.js'

const DevOpsPlanID = PlanIdSchema
const PlanName = NameSchema('plan name')
const JobName = NameSchema('Jenkins job, folders as `folder/sub/job`', 512)
const JenkinsName = Type.String({ minLength: 1, maxLength: 64, description: 'a Jenkins instance named in JENKINS_INSTANCES' })
/** What a plan add/update answers: the job and instance it now watches. */
const Watched = {
  DevOpsPlanID: Type.Integer(),
  JobName: PlanSchema.properties.JobName,
  JenkinsName: PlanSchema.properties.JenkinsName
}
const ParameterSchema = Type.Object({
  Name: Type.String(),
  Type: Type.Union(['string', 'text', 'boolean', 'choice', 'password', 'other'].map((t) => Type.Literal(t))),
  Default: Type.String({ description: '"" when none; never a password\'s' }),
  Choices: Type.Array(Type.String(), { description: 'the choices of a choice parameter, else []' }),
  Description: Type.String()
})

const plans: FastifyPluginAsyncTypebox = async (fastify) => {
  // per product, validated by the catalog version (every product or plan write bumps it)
  const listCache = new VersionedCache<number>(8 * 1024 * 1024)
  const versions = new ReadBatcher<'catalog', string>()
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
  }, async (request, reply) => {
    const productId = toInt(request.query.ProductID)
    const version = await versions.read('catalog', async () => await catalogVersion(fastify.db))
    const answer = await listCache.through(productId, version, async () => {
      const list = await listPlans(fastify.db, productId)
      return ok({ TotalCount: list.length, PlanList: list })
    })
    return await reply.type(JSON_UTF8).header('etag', answer.etag).send(answer.body)
  })

  fastify.post('/Plan/add', {
    config: { access: 'admin' },
    schema: {
      tags: ['Plan'],
      summary: 'Add a DevOps plan to a product',
      body: Type.Object({ ProductID: IdSchema('the product'), PlanName, JobName: Type.Optional(JobName), JenkinsName: Type.Optional(JenkinsName) },
        { examples: [{ ProductID: 1, PlanName: 'UShopApi', JobName: 'Test' }] }),
      response: responses(EnvelopeSchema(Watched, 'the new plan, with the job and instance it watches'), ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { ProductID, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    const job = JobName == null ? null : cleanName(JobName)
    const instance = knownInstance(JenkinsName) ?? null
    const id = await addPlan(fastify.db, toInt(ProductID), normalizeName(PlanName, 'body/PlanName'), job, instance)
    return ok({ DevOpsPlanID: id, JobName: job, JenkinsName: instance })
  })

  fastify.get('/Plan/parameters', {
    config: { access: 'read' },
    schema: {
      tags: ['Plan'],
      summary: 'The parameters of the plan\'s Jenkins job, for forms (DevOpsPlanID and BuildIndex are set by the service)',
      querystring: Type.Object({ DevOpsPlanID }),
      response: responses(EnvelopeSchema({ JobName: Type.String(), ParameterList: Type.Array(ParameterSchema) }, 'the job\'s parameter definitions',
        { JobName: 'Test', ParameterList: [{ Name: 'Branch', Type: 'string', Default: 'main', Choices: [], Description: 'git branch' }, { Name: 'Env', Type: 'choice', Default: 'dev', Choices: ['dev', 'prod'], Description: '' }] }),
      ['InvalidParameter', 'NotFound', 'JenkinsNotConfigured', 'JenkinsFailed'])
    }
  }, async (request) => {
    const plan = await getPlan(fastify.db, toInt(request.query.DevOpsPlanID))
    if (plan.job_name == null) throw invalid('querystring/DevOpsPlanID: the plan has no JobName')
    const jenkins = fastify.jenkins.client(plan.jenkins_name)
    if (jenkins == null) throw apiError('JenkinsNotConfigured', `Jenkins${plan.jenkins_name == null ? '' : ` instance "${plan.jenkins_name}"`} is not configured on this server`)
    let defs
    try {
      defs = await definitionsOf(jenkins, plan.job_name)
    } catch (err) {
      throw apiError('JenkinsFailed', err instanceof JenkinsError ? err.message : `Jenkins: ${(err as Error).message}`)
    }
    const ParameterList = (defs ?? []).filter((d) => !(INJECTED as readonly string[]).includes(d.name)).map((d) => ({
      Name: d.name, Type: d.type, Default: d.type === 'password' ? '' : d.default ?? '', Choices: d.choices, Description: d.description
    }))
    return ok({ JobName: plan.job_name, ParameterList })
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
      response: responses(EnvelopeSchema(Watched, 'the plan, with the job and instance it now watches'), ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { DevOpsPlanID, PlanName, JobName, JenkinsName } = request.body
    checkJobName(JobName)
    const id = toInt(DevOpsPlanID)
    await updatePlan(fastify.db, id, {
      name: PlanName == null ? undefined : normalizeName(PlanName, 'body/PlanName'),
      jobName: JobName === undefined ? undefined : JobName === null ? null : cleanName(JobName),
      jenkinsName: JenkinsName === null ? null : knownInstance(JenkinsName)
    })
    const plan = await getPlan(fastify.db, id)
    return ok({ DevOpsPlanID: plan.id, JobName: plan.job_name, JenkinsName: plan.jenkins_name })
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
