import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { buildRevision } from '../repositories/builds.js'
import { type BuildKey, buildKey, existingPlanListVersion } from '../repositories/read-versions.js'
import { listStages } from '../repositories/stages.js'
import { findStageLog } from '../repositories/stage-logs.js'
import { lastEndedBuilds } from '../repositories/analytics.js'
import { stageStats } from '../builds/stage-stats.js'
import { PlanHistories } from '../builds/plan-history.js'
import {
  StageInfoExample, StageInfoSchema, StageLogAnswer, StageLogQuery, StageStatSchema, StageStatsExample
} from '../schemas/stage.js'
import { VersionedReader } from '../lib/versioned-reader.js'
import { BuildIndexSchema, PlanIdSchema, EnvelopeSchema, ok, PageSizeSchema, responses } from '../schemas/common.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema
const Last = PageSizeSchema('how many of the plan\'s last ended builds, 1–500, default 50')

const stage: FastifyPluginAsyncTypebox = async (fastify) => {
  // valid while the build's revision (every change bumps it) and the plan's list version (the
  // medians) are; bounded in bytes: one build may hold 1,000 stages
  const stages = new VersionedReader(32 * 1024 * 1024,
    async (b: BuildKey) => await buildRevision(fastify.db, b.DevOpsPlanID, b.BuildIndex),
    { keyOf: buildKey, versionOf: (b) => `${b.id}/${b.revision}.${b.list_version}` })
  const histories = new PlanHistories()
  fastify.get('/Stage/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'The stages of a build, as a DAG through PreStageID (获取某个 Build 对应的 Stage)',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(EnvelopeSchema({ StageCount: Type.Integer(), StageList: Type.Array(StageInfoSchema) },
        'the stages of the build', StageInfoExample), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) =>
    await reply.cached(stages.read(request.query, async (build) => {
      const [list, history] = await Promise.all([
        listStages(fastify.db, build.id),
        histories.of(fastify.db, request.query.DevOpsPlanID, String(build.list_version))
      ])
      const StageList = list.map((s) => ({ ...s, MedianDuration: history.medians.get(s.StageName) ?? null }))
      return ok({ StageCount: list.length, StageList })
    })))

  // per plan and Last, validated by the plan's list version: a build that ends (or is pruned) bumps it
  const stats = new VersionedReader(32 * 1024 * 1024,
    async (planId: number) => await existingPlanListVersion(fastify.db, planId))
  fastify.get('/Stage/stats', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'What the plan\'s last ended builds say about each stage: pass rate, durations, flakiness',
      description: 'Over the plan\'s last `Last` builds that ended (highest BuildIndex, any source), ' +
        'per StageName in ' +
        'order of first appearance. A stage is flaky when its FlipRate is at least 0.3 over at least 5 runs.',
      querystring: Type.Object({ DevOpsPlanID, Last: Type.Optional(Last) }),
      response: responses(EnvelopeSchema({
        BuildCount: Type.Integer({ description: 'ended builds looked at (at most Last)' }),
        BuildIndexes: Type.Array(Type.Integer(),
          { description: 'their BuildIndex, oldest first: the build of each entry of Durations' }),
        StageList: Type.Array(StageStatSchema)
      }, 'per stage, over the last ended builds', StageStatsExample), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const { DevOpsPlanID: planId, Last: last = 50 } = request.query
    return await reply.cached(stats.read(planId, async () => {
      const builds = await lastEndedBuilds(fastify.db, planId, last)
      const BuildIndexes = builds.map((b) => b.buildIndex)
      return ok({ BuildCount: builds.length, BuildIndexes, StageList: stageStats(builds) })
    }, last))
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
    const log = await findStageLog(fastify.db, DevOpsPlanID, BuildIndex, StageID)
    return ok({ StageID, Error: log.error, Log: log.log, Truncated: log.truncated })
  })
}

export default stage
