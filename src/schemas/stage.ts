import { type Static, Type } from '@sinclair/typebox'
import { EpochOrNull, StatusOutSchema } from './common.js'

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
