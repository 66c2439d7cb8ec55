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

/** Stage/info's answer, as the OpenAPI example shows it. */
export const StageInfoExample = {
  StageCount: 2,
  StageList: [
    {
      StageID: 1,
      StageName: 'Build',
      PreStageID: [],
      Status: 'Pass',
      Detail: { URL: 'http://jenkins/job/Test/7/console' },
      StartTime: 1491904800,
      EndTime: 1491904860
    },
    {
      StageID: 2,
      StageName: 'Test',
      PreStageID: [1],
      Status: 'Running',
      Detail: {},
      StartTime: 1491904860,
      EndTime: null
    }
  ]
}
