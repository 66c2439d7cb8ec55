import { type Static, Type } from '@sinclair/typebox'
import { ErrorCode } from '../errors.js'
import {
  BuildIndexSchema, EpochOrNull, EpochSchema, IdSchema, IntLike, NameSchema, PageSizeSchema, PlanIdSchema,
  StatusInSchema, StatusOutSchema
} from './common.js'

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
  Source: Type.Union([Type.Literal('api'), Type.Literal('jenkins')], {
    description:
      'api: started by Build/add; jenkins: a run Jenkins started itself (timer, SCM, a person, replay, upstream)'
  }),
  Cause: Type.Union([Type.String(), Type.Null()], {
    description: 'Jenkins\' cause text, e.g. "Started by timer"; null for builds started through the API'
  }),
  StartedBy: Type.Union([Type.String(), Type.Null()], {
    description: 'the name of the token that called Build/add; null in open mode and for builds Jenkins started'
  }),
  RebuildOf: Type.Union([Type.Integer(), Type.Null()], {
    description: 'the BuildIndex (same plan) this build repeats, else null'
  })
})
export type BuildListItem = Static<typeof BuildListItemSchema>

export const BuildInfoSchema = Type.Object({
  ...BuildListItemSchema.properties,
  JobName: Type.String(),
  Parameter: Type.Object(
    { parameter: Type.Array(JenkinsParameterSchema) },
    {
      description:
        "the effective values: the caller's, the job's defaults (never a password's), " +
        'and the injected DevOpsPlanID and BuildIndex'
    }
  ),
  JenkinsQueueID: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsBuildNumber: Type.Union([Type.Integer(), Type.Null()]),
  JenkinsURL: Type.Union([Type.String(), Type.Null()]),
  Detail: Type.Record(Type.String(), Type.Unknown()),
  EstimatedEndTime: Type.Union([Type.Integer(), Type.Null()], {
    description:
      "while the build has not ended: when it should, Unix epoch seconds, from the plan's last passed builds; " +
      'null when it ended or with fewer than 3 passed builds'
  }),
  Progress: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], {
    description:
      'while the build has not ended: percent done, round(100 × elapsed ÷ (elapsed + remaining)); null as ' +
        'EstimatedEndTime'
  })
})
export type BuildInfo = Static<typeof BuildInfoSchema>

// Examples the OpenAPI document shows for the Build routes.

export const BuildListExample = {
  TotalCount: 2,
  BuildList: [
    {
      BuildIndex: 2,
      Status: 'Running',
      StartTime: 1491904860,
      CreateTime: 1491904855,
      EndTime: null,
      Source: 'jenkins',
      Cause: 'Started by timer'
    },
    {
      BuildIndex: 1,
      Status: 'Pass',
      StartTime: 1491904800,
      CreateTime: 1491904790,
      EndTime: 1491904850,
      Source: 'api',
      Cause: null
    }
  ]
}

export const BuildEventsExample = {
  EventList: [
    { EventID: 41, Time: 1491904790, Source: 'api', StageName: '', Status: 'Queued', Detail: {} },
    {
      EventID: 57,
      Time: 1491904800,
      Source: 'callback',
      StageName: 'Build',
      Status: 'Running',
      Detail: { URL: 'http://jenkins/job/Test/7/console' }
    }
  ]
}

export const BuildAddExample = {
  DevOpsPlanID: 1,
  JobName: 'Test',
  Parameter: { parameter: [{ name: 'Branch', value: 'main' }] },
  RequestID: 'deploy-2026-11-28-1'
}

export const BuildUpdateExample = {
  DevOpsPlanID: 1,
  BuildIndex: 1,
  StageName: 'Build',
  Status: 'running',
  Detail: { URL: 'http://jenkins/job/Test/7/console' }
}

/** Build/list's query: one page of a plan's builds, optionally of one status. */
export const BuildListQuerySchema = Type.Object({
  DevOpsPlanID: PlanIdSchema,
  Status: Type.Optional(StatusInSchema),
  PageIndex: Type.Optional(IntLike({ minimum: 1 }, '^[1-9][0-9]{0,8}$', '1-based page, default 1')),
  PageSize: Type.Optional(PageSizeSchema('builds per page, 1–500, default 50'))
})

/** Build/add's body: which plan, optionally the job, its parameters, an idempotency key, the build it repeats. */
export const BuildAddBodySchema = Type.Object({
  DevOpsPlanID: PlanIdSchema,
  JobName: Type.Optional(NameSchema('Jenkins job, folders as `folder/sub/job`; defaults to the plan\'s JobName',
    512)),
  Parameter: Type.Optional(Type.Object({
    parameter: Type.Union([Type.Array(JenkinsParameterInSchema, { maxItems: 1000 }), JenkinsParameterInSchema])
  })),
  RequestID: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'makes the call idempotent per plan: a RequestID seen before answers the same BuildIndex with ' +
      '1000 and triggers nothing'
  })),
  RebuildOf: Type.Optional(IdSchema('the BuildIndex of this plan the build repeats, shown as Build/info\'s ' +
    `RebuildOf; one the plan does not have: ${ErrorCode.NotFound}`))
}, { examples: [BuildAddExample] })

/** Build/update's body: a stage's (or the build's own) status, with what Jenkins knows of it. */
export const BuildUpdateBodySchema = Type.Object({
  DevOpsPlanID: PlanIdSchema,
  BuildIndex: BuildIndexSchema,
  StageName: Type.Optional(Type.String({
    maxLength: 128, description: 'the stage; absent or "" for the build itself'
  })),
  Status: StatusInSchema,
  Detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), {
    description: 'shallow-merged into the stored Detail; in all at most 16 KiB of JSON, 32 levels deep, ' +
      '256 keys per object'
  })),
  PreStageID: Type.Optional(Type.Array(IdSchema('an earlier stage'), {
    maxItems: 256, description: 'predecessors by StageID (new stages; default: the latest stage)'
  })),
  PreStageName: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
    maxItems: 256, description: 'predecessors by name'
  })),
  StartTime: Type.Optional(EpochSchema('when the stage (or build) started')),
  EndTime: Type.Optional(EpochSchema('when it finished'))
}, { examples: [BuildUpdateExample] })
