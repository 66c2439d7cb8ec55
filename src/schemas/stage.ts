import { type Static, Type } from '@sinclair/typebox'
import { EXCERPT_BYTES, EXCERPT_LINES } from '../lib/log-excerpt.js'
import { BuildIndexSchema, EnvelopeSchema, EpochOrNull, IdSchema, PlanIdSchema, StatusOutSchema } from './common.js'

export const StageSchema = Type.Object({
  StageID: Type.Integer({ description: '1, 2, 3… per build, in order of first appearance' }),
  StageName: Type.String(),
  PreStageID: Type.Array(Type.Integer(), { description: 'stages that must finish before this one; [] for the first' }),
  Status: StatusOutSchema,
  Detail: Type.Record(Type.String(), Type.Unknown()),
  StartTime: EpochOrNull('when the stage started'),
  EndTime: EpochOrNull('when it reached a final status')
})
export type Stage = Static<typeof StageSchema>

export const StageLogQuery = Type.Object({
  DevOpsPlanID: PlanIdSchema,
  BuildIndex: BuildIndexSchema,
  StageID: IdSchema('the stage, as Stage/info numbers it')
})

export const StageLogAnswer = EnvelopeSchema({
  StageID: Type.Integer(),
  Error: Type.String({ description: 'the error message Jenkins recorded for the stage; "" when none' }),
  Log: Type.String({
    description: `the last lines of the stage's log (at most ${EXCERPT_LINES} lines and ${EXCERPT_BYTES / 1024} KiB, ` +
      'colour codes removed), captured once when the stage ended Fail or Unstable; "" when none'
  }),
  Truncated: Type.Boolean({ description: 'the log was longer than this excerpt' })
}, 'the error and log excerpt of a stage', {
  StageID: 2,
  Error: 'script returned exit code 1',
  Log: '+ npm test\nnot ok 3 - login rejects a wrong password\n# tests 12, pass 11, fail 1',
  Truncated: false
})

/** A stage of Stage/info with what the plan's history says about it. */
export const StageInfoSchema = Type.Object({
  ...StageSchema.properties,
  MedianDuration: Type.Union([Type.Number(), Type.Null()],
    { description: 'median seconds of the stage in the plan\'s last passed builds (up to 20), null when it passed in none' })
})

const Seconds = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })
export const StageStatSchema = Type.Object({
  StageName: Type.String(),
  Runs: Type.Integer({ description: 'builds in which the stage ran (Pass, Fail, Unstable, Aborted)' }),
  Pass: Type.Integer(),
  Fail: Type.Integer(),
  Aborted: Type.Integer(),
  Skipped: Type.Integer({ description: 'builds in which it was skipped (not counted in Runs)' }),
  PassRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()],
    { description: 'Pass ÷ Runs, 0–1; null when it never ran' }),
  MedianDuration: Seconds('median seconds of its passed runs (even count: the mean of the middle two); null when none'),
  P90Duration: Seconds('the ⌈0.9·n⌉-th smallest of the seconds of its passed runs (nearest rank); null when none'),
  Durations: Type.Array(Type.Union([Type.Integer(), Type.Null()]),
    { description: 'one per build, oldest first: seconds from StartTime to EndTime; null where it did not run' }),
  FlipRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()],
    { description: 'changes between Pass and Fail from one run to the next ÷ (Runs − 1); null with fewer than 2 runs' }),
  Flaky: Type.Boolean({ description: 'FlipRate ≥ 0.3 with at least 5 runs' }),
  FailedBuilds: Type.Array(Type.Integer(),
    { description: 'BuildIndex of each build (of these) in which it failed, newest first: where to look' })
})
