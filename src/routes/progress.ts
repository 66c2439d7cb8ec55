import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { invalid } from '../errors.js'
import { applyProgress } from '../progress.js'
import { findBuild } from '../repo/builds.js'
import { listStages } from '../repo/stages.js'
import { RevisionCache } from '../lib/revision-cache.js'
import {
  BuildIndexSchema, PlanIdSchema, Envelope, EpochOrNull, EpochSchema, IdSchema, ok, OkEnvelope, responses, StatusInSchema, StatusOutSchema, toInt
} from '../schemas/common.js'
import { parseStatus } from '../status.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema

const StageSchema = Type.Object({
  StageID: Type.Integer({ description: '1, 2, 3… per build, in order of first appearance' }),
  StageName: Type.String(),
  PreStageID: Type.Array(Type.Integer(), { description: 'stages that must finish before this one; [] for the first' }),
  Status: StatusOutSchema,
  Detail: Type.Record(Type.String(), Type.Unknown()),
  StartTime: EpochOrNull('when the stage started'),
  EndTime: EpochOrNull('when it reached a final status')
})

const UpdateBody = Type.Object({
  DevOpsPlanID,
  BuildIndex,
  StageName: Type.Optional(Type.String({ maxLength: 128, description: 'the stage; absent or "" for the build itself' })),
  Status: StatusInSchema,
  Detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'shallow-merged into the stored Detail; at most 16 KiB of JSON in all' })),
  PreStageID: Type.Optional(Type.Array(IdSchema('an earlier stage'), { maxItems: 256, description: 'predecessors by StageID (new stages; default: the latest stage)' })),
  PreStageName: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 256, description: 'predecessors by name' })),
  StartTime: Type.Optional(EpochSchema('when the stage (or build) started')),
  EndTime: Type.Optional(EpochSchema('when it finished'))
}, {
  examples: [{ DevOpsPlanID: 1, BuildIndex: 1, StageName: 'Build', Status: 'running', Detail: { URL: 'http://jenkins/job/Test/7/console' } }]
})

const progress: FastifyPluginAsyncTypebox = async (fastify) => {
  const stageCache = new RevisionCache(5000)
  fastify.get('/Stage/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'The stages of a build, as a DAG through PreStageID (获取某个 Build 对应的 Stage)',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(Envelope({ StageCount: Type.Integer(), StageList: Type.Array(StageSchema) }, 'the stages of the build', {
        StageCount: 2,
        StageList: [
          { StageID: 1, StageName: 'Build', PreStageID: [], Status: 'Pass', Detail: { URL: 'http://jenkins/job/Test/7/console' }, StartTime: 1491904800, EndTime: 1491904860 },
          { StageID: 2, StageName: 'Test', PreStageID: [1], Status: 'Running', Detail: {}, StartTime: 1491904860, EndTime: null }
        ]
      }), [1001, 1002])
    }
  }, async (request, reply) => {
    const build = await findBuild(fastify.db, toInt(request.query.DevOpsPlanID), toInt(request.query.BuildIndex))
    let body = stageCache.get(build.id, build.revision)
    if (body == null) {
      const list = await listStages(fastify.db, build.id)
      body = JSON.stringify(ok({ StageCount: list.length, StageList: list }))
      stageCache.set(build.id, build.revision, body)
    }
    return await reply.type('application/json; charset=utf-8').send(body)
  })

  fastify.post('/Build/update', {
    config: { access: 'callback' },
    schema: {
      tags: ['Build'],
      summary: 'Report the status of a stage, or of the build itself (修改某个 Build 的状态)',
      description: 'Creates the stage on first sight (next StageID, PreStageID = the latest stage unless PreStageID or ' +
        'PreStageName is given) or updates it. Statuses only move forward; a backward move is answered 1000 and ignored. ' +
        'Without StageName the status is the build\'s own. The same update twice changes nothing.',
      body: UpdateBody,
      response: responses(OkEnvelope, [1001, 1002, 1008])
    }
  }, async (request) => {
    const b = request.body
    const status = parseStatus(b.Status)
    if (status == null) throw invalid(`body/Status "${b.Status}" is not a known status`)
    const result = await applyProgress(fastify.db, {
      planId: toInt(b.DevOpsPlanID),
      buildIndex: toInt(b.BuildIndex),
      status,
      stageName: b.StageName,
      detail: b.Detail,
      preStageIds: b.PreStageID?.map(toInt),
      preStageNames: b.PreStageName,
      startTime: b.StartTime == null ? undefined : toInt(b.StartTime),
      endTime: b.EndTime == null ? undefined : toInt(b.EndTime)
    })
    return { ErrorCode: 1000, Description: result.ignored == null ? 'OK' : `OK (ignored: ${result.ignored})` }
  })
}

export default progress
