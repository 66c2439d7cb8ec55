import { Type } from '@sinclair/typebox'
import { BuildInfoSchema, BuildListItemSchema, JenkinsParameterSchema } from './build.js'
import { IntLike, PlanIdSchema, StatusInSchema, StatusOutSchema } from './common.js'

// The dashboard's reads: the home (every plan, the builds not ended, the latest failures) and a plan's
// grid of builds × stages.

const Epoch = (description: string) =>
  Type.Union([Type.Integer(), Type.Null()], { description: `${description}, Unix epoch seconds, or null` })
const BuildFacts = {
  BuildIndex: Type.Integer(),
  Status: StatusOutSchema,
  CreateTime: Type.Integer({ description: 'when it was recorded, Unix epoch seconds' }),
  StartTime: Epoch('when it started running'),
  EndTime: Epoch('when it ended'),
  JenkinsName: Type.Union([Type.String(), Type.Null()], { description: 'its Jenkins instance; null = the default' }),
  StartedBy: BuildListItemSchema.properties.StartedBy,
  Cause: BuildListItemSchema.properties.Cause
}
export const OverviewBuildSchema = Type.Object({
  ProductID: Type.Integer(),
  ProductName: Type.String(),
  DevOpsPlanID: Type.Integer(),
  PlanName: Type.String(),
  ...BuildFacts
})
export const OverviewRunningSchema = Type.Object({
  ...OverviewBuildSchema.properties,
  EstimatedEndTime: BuildInfoSchema.properties.EstimatedEndTime,
  Progress: BuildInfoSchema.properties.Progress
})
export const OverviewPlanSchema = Type.Object({
  ProductID: Type.Integer(),
  ProductName: Type.String(),
  DevOpsPlanID: Type.Integer(),
  PlanName: Type.String(),
  JobName: Type.Union([Type.String(), Type.Null()]),
  JenkinsName: Type.Union([Type.String(), Type.Null()]),
  Active: Type.Integer({ description: 'builds of the plan Queued, Running or Paused' }),
  LastBuild: Type.Union([Type.Object(BuildFacts), Type.Null()], {
    description: 'the plan\'s newest build; null before its first'
  })
})
export const GridStageSchema = Type.Object({
  StageID: Type.Integer(),
  StageName: Type.String(),
  PreStageID: Type.Array(Type.Integer()),
  Status: StatusOutSchema,
  StartTime: Epoch('when the stage started'),
  EndTime: Epoch('when it ended')
})
export const LastSchema = IntLike({ minimum: 1, maximum: 50 }, '^([1-9]|[1-4][0-9]|50)$', 'builds, 1–50, default 20')

/** A build of the grid: its facts, the parameters a person chose and its stages. */
export const GridBuildSchema = Type.Object({
  BuildIndex: Type.Integer(),
  Status: StatusOutSchema,
  CreateTime: Type.Integer(),
  StartTime: Epoch('when it started running'),
  EndTime: Epoch('when it ended'),
  Parameter: Type.Array(JenkinsParameterSchema, {
    description: 'the build\'s parameters without the injected DevOpsPlanID and BuildIndex'
  }),
  StageList: Type.Array(GridStageSchema)
})

/** Plan/grid's query: the page of builds Build/list would show, Last standing for its PageSize. */
export const PlanGridQuerySchema = Type.Object({
  DevOpsPlanID: PlanIdSchema,
  Last: Type.Optional(LastSchema),
  Status: Type.Optional(StatusInSchema),
  PageIndex: Type.Optional(IntLike({ minimum: 1 }, '^[1-9][0-9]{0,8}$', '1-based page of Last builds, default 1'))
})
