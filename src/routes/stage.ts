import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { buildRevision } from '../repositories/builds.js'
import { listStages } from '../repositories/stages.js'
import { findStageLog } from '../repositories/stage-logs.js'
import { StageLogAnswer, StageLogQuery, StageSchema } from '../schemas/stage.js'
import { VersionedCache } from '../lib/versioned-cache.js'
import { ReadBatcher } from '../lib/read-batcher.js'
import {
  BuildIndexSchema, PlanIdSchema, EnvelopeSchema, JSON_UTF8, ok, responses, toInt
} from '../schemas/common.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema

const stage: FastifyPluginAsyncTypebox = async (fastify) => {
  // validated by the build's revision (every change bumps it); bounded in bytes: one build may hold 1,000 stages
  const stageCache = new VersionedCache<number>(32 * 1024 * 1024)
  const revisions = new ReadBatcher<string, { id: number, revision: number }>()
  fastify.get('/Stage/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'The stages of a build, as a DAG through PreStageID (获取某个 Build 对应的 Stage)',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(EnvelopeSchema({ StageCount: Type.Integer(), StageList: Type.Array(StageSchema) }, 'the stages of the build', {
        StageCount: 2,
        StageList: [
          { StageID: 1, StageName: 'Build', PreStageID: [], Status: 'Pass', Detail: { URL: 'http://jenkins/job/Test/7/console' }, StartTime: 1491904800, EndTime: 1491904860 },
          { StageID: 2, StageName: 'Test', PreStageID: [1], Status: 'Running', Detail: {}, StartTime: 1491904860, EndTime: null }
        ]
      }), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const planId = toInt(request.query.DevOpsPlanID)
    const buildIndex = toInt(request.query.BuildIndex)
    const build = await revisions.read(`${planId}/${buildIndex}`, async () => await buildRevision(fastify.db, planId, buildIndex))
    const answer = await stageCache.through(build.id, String(build.revision), async () => {
      const list = await listStages(fastify.db, build.id)
      return ok({ StageCount: list.length, StageList: list })
    })
    return await reply.type(JSON_UTF8).header('etag', answer.etag).send(answer.body)
  })

  fastify.get('/Stage/log', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'Why a stage failed: the error Jenkins recorded and the end of its log, kept with the build',
      description: 'Captured once by the poller when the stage ended Fail or Unstable (Jenkins is not asked here). ' +
        'A stage with nothing captured answers empty strings.',
      querystring: StageLogQuery,
      response: responses(StageLogAnswer, ['InvalidParameter', 'NotFound'])
    }
  }, async (request) => {
    const { DevOpsPlanID, BuildIndex, StageID } = request.query
    const stageId = toInt(StageID)
    const log = await findStageLog(fastify.db, toInt(DevOpsPlanID), toInt(BuildIndex), stageId)
    return ok({ StageID: stageId, Error: log.error, Log: log.log, Truncated: log.truncated })
  })
}

export default stage
