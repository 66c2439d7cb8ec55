import { type Static, Type } from '@sinclair/typebox'
import { EpochOrNull, StatusOutSchema } from './common.js'

/** A parameter as a caller may send it: any scalar value, turned into a string for Jenkins. */
export const JenkinsParameterInSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])
})
export type JenkinsParameterIn = Static<typeof JenkinsParameterInSchema>

/** A parameter as sent to Jenkins and stored. */
export const JenkinsParameterSchema = Type.Object({ name: Type.String(), value: Type.String() })
export type JenkinsParameter = Static<typeof JenkinsParameterSchema>

export const BuildListItemSchema = Type.Object({
  BuildIndex: Type.Integer(),
  Status: StatusOutSchema,
  StartTime: EpochOrNull('when it started running'),
  CreateTime: Type.Integer({ description: 'when it was recorded, Unix epoch seconds' }),
  EndTime: EpochOrNull('when it finished')
})
export type BuildListItem = Static<typeof BuildListItemSchema>

export const BuildInfoSchema = Type.Object({
  ...BuildListItemSchema.properties,
  JobName: Type.String(),
  Parameter: Type.Object({ parameter: Type.Array(JenkinsParameterSchema) }, { description: 'as sent to Jenkins, injected DevOpsPlanID and BuildIndex included' }),
  JenkinsQueueID: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsBuildNumber: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsURL: Type.Union([Type.String(), Type.Null()]),
  Detail: Type.Record(Type.String(), Type.Unknown())
})
export type BuildInfo = Static<typeof BuildInfoSchema>
