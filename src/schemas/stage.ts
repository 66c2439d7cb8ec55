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
