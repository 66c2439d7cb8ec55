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
  EndTime: EpochOrNull('when it finished'),
  Source: Type.Union([Type.Literal('api'), Type.Literal('jenkins')], { description: 'api: started by Build/add; jenkins: a run Jenkins started itself (timer, SCM, a person, replay, upstream)' }),
  Cause: Type.Union([Type.String(), Type.Null()], { description: 'Jenkins\' cause text, e.g. "Started by timer"; null for builds started through the API' }),
  StartedBy: Type.Union([Type.String(), Type.Null()], { description: 'the name of the token that called Build/add; null in open mode and for builds Jenkins started' }),
  RebuildOf: Type.Union([Type.Integer(), Type.Null()], { description: 'the BuildIndex (same plan) this build repeats, else null' })
})
export type BuildListItem = Static<typeof BuildListItemSchema>

export const BuildInfoSchema = Type.Object({
  ...BuildListItemSchema.properties,
  JobName: Type.String(),
  Parameter: Type.Object({ parameter: Type.Array(JenkinsParameterSchema) }, { description: 'the effective values: the caller\'s, the job\'s defaults (never a password\'s), and the injected DevOpsPlanID and BuildIndex' }),
  JenkinsQueueID: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsBuildNumber: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsURL: Type.Union([Type.String(), Type.Null()]),
  Detail: Type.Record(Type.String(), Type.Unknown()),
  EstimatedEndTime: Type.Union([Type.Integer(), Type.Null()], {
    description: 'while the build has not ended: when it should, Unix epoch seconds, from the plan\'s last passed builds; ' +
      'null when it ended or with fewer than 3 passed builds'
  }),
  Progress: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], {
    description: 'while the build has not ended: percent done, round(100 × elapsed ÷ (elapsed + remaining)); null as EstimatedEndTime'
  })
})
export type BuildInfo = Static<typeof BuildInfoSchema>
