import { type Static, Type } from '@sinclair/typebox'
import { EnvelopeSchema, IdSchema, NameSchema, OkEnvelope, PlanIdSchema, responses } from './common.js'

export const PlanSchema = Type.Object({
  DevOpsPlanID: Type.Integer(),
  PlanName: Type.String(),
  JobName: Type.Union([Type.String(), Type.Null()], { description: 'default Jenkins job of the plan, if any' }),
  JenkinsName: Type.Union([Type.String(), Type.Null()], {
    description: 'the Jenkins instance it runs on; null = the default (JENKINS_URL)'
  })
})
export type Plan = Static<typeof PlanSchema>

const DevOpsPlanID = PlanIdSchema
const ProductID = IdSchema('the product')
const PlanName = NameSchema('plan name')
const JobName = NameSchema('Jenkins job, folders as `folder/sub/job`', 512)
const JenkinsName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'a Jenkins instance named in JENKINS_INSTANCES'
})
/** What a plan add/update answers: the job and instance it now watches. */
const watched = (description: string) => responses(EnvelopeSchema({
  DevOpsPlanID: Type.Integer(),
  JobName: PlanSchema.properties.JobName,
  JenkinsName: PlanSchema.properties.JenkinsName
}, description), ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
const ParameterSchema = Type.Object({
  Name: Type.String(),
  Type: Type.Union(['string', 'text', 'boolean', 'choice', 'password', 'other'].map((t) => Type.Literal(t))),
  Default: Type.String({ description: '"" when none; never a password\'s' }),
  Choices: Type.Array(Type.String(), { description: 'the choices of a choice parameter, else []' }),
  Description: Type.String()
})

export const PlanList = {
  tags: ['Plan'],
  summary: 'List the DevOps plans of a product (获取某个 Product 下对应的 DevOpsPlan 的 list)',
  querystring: Type.Object({ ProductID }),
  response: responses(
    EnvelopeSchema({ TotalCount: Type.Integer(), PlanList: Type.Array(PlanSchema) }, 'the plans of the product', {
      TotalCount: 2,
      PlanList: [
        { DevOpsPlanID: 1, PlanName: 'UShopApi', JobName: 'Test', JenkinsName: null },
        { DevOpsPlanID: 2, PlanName: 'UShopMsgPro', JobName: null, JenkinsName: null }
      ]
    }),
    ['InvalidParameter', 'NotFound']
  )
}

export const PlanAdd = {
  tags: ['Plan'],
  summary: 'Add a DevOps plan to a product',
  body: Type.Object({ ProductID, PlanName, JobName: Type.Optional(JobName), JenkinsName: Type.Optional(JenkinsName) }, {
    examples: [{ ProductID: 1, PlanName: 'UShopApi', JobName: 'Test' }]
  }),
  response: watched('the new plan, with the job and instance it watches')
}

export const PlanParameters = {
  tags: ['Plan'],
  summary: 'The parameters of the plan\'s Jenkins job, for forms (DevOpsPlanID and BuildIndex are set by the service)',
  querystring: Type.Object({ DevOpsPlanID }),
  response: responses(EnvelopeSchema({
    JobName: Type.String(),
    ParameterList: Type.Array(ParameterSchema)
  }, 'the job\'s parameter definitions', {
    JobName: 'Test',
    ParameterList: [
      { Name: 'Branch', Type: 'string', Default: 'main', Choices: [], Description: 'git branch' },
      { Name: 'Env', Type: 'choice', Default: 'dev', Choices: ['dev', 'prod'], Description: '' }
    ]
  }), ['InvalidParameter', 'NotFound', 'JenkinsNotConfigured', 'JenkinsFailed'])
}

export const PlanUpdate = {
  tags: ['Plan'],
  summary: 'Rename a plan, change its default job or its Jenkins instance (null clears either)',
  body: Type.Object({
    DevOpsPlanID,
    PlanName: Type.Optional(PlanName),
    JobName: Type.Optional(Type.Union([JobName, Type.Null()])),
    JenkinsName: Type.Optional(Type.Union([JenkinsName, Type.Null()]))
  }),
  response: watched('the plan, with the job and instance it now watches')
}

export const PlanDelete = {
  tags: ['Plan'],
  summary: 'Delete a plan that has no builds',
  body: Type.Object({ DevOpsPlanID }),
  response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'Conflict', 'BodyTooLarge'])
}
