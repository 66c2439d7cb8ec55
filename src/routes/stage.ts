import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listStages } from '../repositories/stages.js'
import { type BuildKey, buildKey, buildVersion } from '../repositories/read-versions.js'
import { StageInfoExample, StageSchema } from '../schemas/stage.js'
import { VersionedReader } from '../lib/versioned-reader.js'
import { BuildIndexSchema, PlanIdSchema, EnvelopeSchema, ok, responses } from '../schemas/common.js'
import cachedReply from '../../plugins/cached-reply.js'
import intLike from '../../plugins/int-like.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema

const stage: FastifyPluginAsyncTypebox = async (fastify) => {
  await fastify.register(intLike)
  await fastify.register(cachedReply)
  // valid while the build's revision is (every change bumps it); bounded in bytes: one build may hold 1,000 stages
  const stages = new VersionedReader(
    32 * 1024 * 1024,
    async (b: BuildKey) => await buildVersion(fastify.db, b),
    buildKey
  )
  fastify.get('/Stage/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'The stages of a build, as a DAG through PreStageID (获取某个 Build 对应的 Stage)',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(EnvelopeSchema({ StageCount: Type.Integer(), StageList: Type.Array(StageSchema) },
        'the stages of the build', StageInfoExample), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) =>
    await reply.cached(stages.read(request.query, async (build) => {
      const list = await listStages(fastify.db, build.id)
      return ok({ StageCount: list.length, StageList: list })
    })))
}

export default stage
