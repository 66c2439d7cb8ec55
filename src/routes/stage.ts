import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../errors.js'
import { buildRevision } from '../repositories/builds.js'
import { listStages } from '../repositories/stages.js'
import { findStageLog } from '../repositories/stage-logs.js'
import { lastEndedBuilds } from '../repositories/analytics.js'
import { planListVersion } from '../repositories/read-versions.js'
import { stageStats } from '../builds/stage-stats.js'
import { PlanHistories } from '../builds/plan-history.js'
import { StageInfoSchema, StageLogAnswer, StageLogQuery, StageStatSchema } from '../schemas/stage.js'
import { VersionedCache } from '../lib/versioned-cache.js'
import { ReadBatcher } from '../lib/read-batcher.js'
import {
  BuildIndexSchema, PlanIdSchema, EnvelopeSchema, JSON_UTF8, ok, responses, toInt
} from '../schemas/common.js'
import type { BuildVersion } from '../repositories/builds.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema
const Last = Type.Union([
  Type.Integer({ minimum: 1, maximum: 500 }),
  Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$' })
], { description: 'how many of the plan\'s last ended builds, 1–500, default 50' })

const stage: FastifyPluginAsyncTypebox = async (fastify) => {
  // validated by the build's revision (every change bumps it) and the plan's list version (the
  // medians); bounded in bytes: one build may hold 1,000 stages
  const stageCache = new VersionedCache<number>(32 * 1024 * 1024)
  const revisions = new ReadBatcher<string, BuildVersion>()
  const histories = new PlanHistories()
  fastify.get('/Stage/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'The stages of a build, as a DAG through PreStageID (获取某个 Build 对应的 Stage)',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(EnvelopeSchema({ StageCount: Type.Integer(), StageList: Type.Array(StageInfoSchema) },
        'the stages of the build', {
          StageCount: 2,
          StageList: [
            {
              StageID: 1,
              StageName: 'Build',
              PreStageID: [],
              Status: 'Pass',
              Detail: { URL: 'http://jenkins/job/Test/7/console' },
              StartTime: 1491904800,
              EndTime: 1491904860,
              MedianDuration: 58
            },
            {
              StageID: 2,
              StageName: 'Test',
              PreStageID: [1],
              Status: 'Running',
              Detail: {},
              StartTime: 1491904860,
              EndTime: null,
              MedianDuration: 240.5
            }
          ]
        }), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const planId = toInt(request.query.DevOpsPlanID)
    const buildIndex = toInt(request.query.BuildIndex)
    const build = await revisions.read(`${planId}/${buildIndex}`,
      async () => await buildRevision(fastify.db, planId, buildIndex))
    const version = `${build.revision}.${String(build.list_version)}`
    const answer = await stageCache.through(build.id, version, async () => {
      const [list, history] = await Promise.all([
        listStages(fastify.db, build.id),
        histories.of(fastify.db, planId, String(build.list_version))
      ])
      const StageList = list.map((s) => ({ ...s, MedianDuration: history.medians.get(s.StageName) ?? null }))
      return ok({ StageCount: list.length, StageList })
    })
    return await reply.type(JSON_UTF8).header('etag', answer.etag).send(answer.body)
  })

  // per plan and Last, validated by the plan's list version: a build that ends (or is pruned) bumps it
  const statsCache = new VersionedCache<string>(32 * 1024 * 1024)
  const listVersions = new ReadBatcher<number, string | null>()
  fastify.get('/Stage/stats', {
    config: { access: 'read' },
    schema: {
      tags: ['Stage'],
      summary: 'What the plan\'s last ended builds say about each stage: pass rate, durations, flakiness',
      description: 'Over the plan\'s last `Last` builds that ended (highest BuildIndex, any source), per StageName in ' +
        'order of first appearance. A stage is flaky when its FlipRate is at least 0.3 over at least 5 runs.',
      querystring: Type.Object({ DevOpsPlanID, Last: Type.Optional(Last) }),
      response: responses(EnvelopeSchema({
        BuildCount: Type.Integer({ description: 'ended builds looked at (at most Last)' }),
        BuildIndexes: Type.Array(Type.Integer(),
          { description: 'their BuildIndex, oldest first: the build of each entry of Durations' }),
        StageList: Type.Array(StageStatSchema)
      }, 'per stage, over the last ended builds', {
        BuildCount: 5,
        BuildIndexes: [3, 4, 6, 7, 8],
        StageList: [
          {
            StageName: 'Build',
            Runs: 5,
            Pass: 5,
            Fail: 0,
            Aborted: 0,
            Skipped: 0,
            PassRate: 1,
            MedianDuration: 60,
            P90Duration: 64,
            Durations: [58, 60, 61, 64, 59],
            FlipRate: 0,
            Flaky: false,
            FailedBuilds: []
          },
          {
            StageName: 'Test',
            Runs: 5,
            Pass: 3,
            Fail: 2,
            Aborted: 0,
            Skipped: 0,
            PassRate: 0.6,
            MedianDuration: 240,
            P90Duration: 250,
            Durations: [240, 31, 250, 12, 230],
            FlipRate: 1,
            Flaky: true,
            FailedBuilds: [7, 4]
          },
          {
            StageName: 'Deploy',
            Runs: 2,
            Pass: 2,
            Fail: 0,
            Aborted: 0,
            Skipped: 3,
            PassRate: 1,
            MedianDuration: 15.5,
            P90Duration: 16,
            Durations: [15, null, 16, null, null],
            FlipRate: 0,
            Flaky: false,
            FailedBuilds: []
          }
        ]
      }), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const planId = toInt(request.query.DevOpsPlanID)
    const last = toInt(request.query.Last ?? 50)
    const version = await listVersions.read(planId, async () => await planListVersion(fastify.db, planId))
    if (version == null) throw notFound('plan')
    const answer = await statsCache.through(`${planId}/${last}`, version, async () => {
      const builds = await lastEndedBuilds(fastify.db, planId, last)
      return ok({
        BuildCount: builds.length,
        BuildIndexes: builds.map((b) => b.buildIndex),
        StageList: stageStats(builds)
      })
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
