import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { findBuild } from '../repositories/builds.js'
import { listStages } from '../repositories/stages.js'
import { StageSchema } from '../schemas/stage.js'
import { RevisionCache } from '../lib/revision-cache.js'
import {
  BuildIndexSchema, PlanIdSchema, EnvelopeSchema, ok, responses, toInt
} from '../schemas/common.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema

const stage: FastifyPluginAsyncTypebox = async (fastify) => {
  const stageCache = new RevisionCache(5000)
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
    const build = await findBuild(fastify.db, toInt(request.query.DevOpsPlanID), toInt(request.query.BuildIndex))
    let body = stageCache.get(build.id, build.revision)
    if (body == null) {
      const list = await listStages(fastify.db, build.id)
      body = JSON.stringify(ok({ StageCount: list.length, StageList: list }))
      stageCache.set(build.id, build.revision, body)
    }
    return await reply.type('application/json; charset=utf-8').send(body)
  })
}

export default stage
