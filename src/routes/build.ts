import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorCode, invalid } from '../errors.js'
import { checkJobName } from '../lib/job-name.js'
import { applyProgress } from '../builds/progress.js'
import { buildRevision, findBuildInfo, listBuilds } from '../repositories/builds.js'
import { type BuildKey, buildKey, existingPlanListVersion } from '../repositories/read-versions.js'
import { VersionedReader } from '../lib/versioned-reader.js'
import {
  BuildAddBodySchema, BuildEventsExample, BuildInfoSchema, BuildListExample, BuildListItemSchema,
  BuildListQuerySchema, BuildUpdateBodySchema
} from '../schemas/build.js'
import {
  BuildIndexSchema, PlanIdSchema, EnvelopeSchema, IntLike, ok, OkEnvelope, PageSizeSchema, responses
} from '../schemas/common.js'
import { isTerminal, parseStatus, type Status } from '../status.js'
import { estimate } from '../builds/estimate.js'
import { PlanHistories } from '../builds/plan-history.js'
import { stageRuns } from '../repositories/analytics.js'
import type { StageRun } from '../builds/stage-stats.js'
import { VersionedMemo } from '../lib/versioned-memo.js'
import { now } from '../lib/time.js'
import { startBuild } from '../builds/trigger.js'
import { cancelBuild } from '../builds/cancel.js'
import { routeToRun } from '../builds/rerun.js'
import { listBuildEvents } from '../repositories/events.js'
import { BuildEventSchema } from '../schemas/event.js'

const DevOpsPlanID = PlanIdSchema
const BuildIndex = BuildIndexSchema

/** How a cached Build/info answer ends: Build's last fields, then the envelope's end. */
const NO_ESTIMATE = '"EstimatedEndTime":null,"Progress":null}}'

const builds: FastifyPluginAsyncTypebox = async (fastify) => {
  // Build/list pages are valid while the plan's list version is, Build/info while the build's revision is
  const lists = new VersionedReader(16 * 1024 * 1024,
    async (planId: number) => await existingPlanListVersion(fastify.db, planId))
  const infos = new VersionedReader(16 * 1024 * 1024,
    async (b: BuildKey) => await buildRevision(fastify.db, b.DevOpsPlanID, b.BuildIndex),
    { keyOf: buildKey, versionOf: (b) => `${b.id}/${b.revision}` })
  // a running build's estimate: the plan's passed history (by list version) and the build's stages (by revision)
  const histories = new PlanHistories()
  const runningStages = new VersionedMemo<number, StageRun[]>(2000)
  fastify.get('/Build/list', {
    config: { access: 'read' },
    schema: {
      tags: ['Build'],
      summary: 'List the builds of a plan, newest first (获取某个 DevOpsPlan 下对应的 Build list)',
      querystring: BuildListQuerySchema,
      response: responses(EnvelopeSchema({
        TotalCount: Type.Integer({ description: 'all matching builds, not just this page' }),
        BuildList: Type.Array(BuildListItemSchema)
      }, 'one page of builds', BuildListExample), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const { DevOpsPlanID: planId, Status, PageIndex: page = 1, PageSize: size = 50 } = request.query
    const status = Status == null ? undefined : parseStatus(Status)
    if (Status != null && status == null) throw invalid(`querystring/Status "${Status}" is not a known status`)
    return await reply.cached(lists.read(planId, async () => {
      const found = await listBuilds(fastify.db, planId, status, page, size)
      return ok({ TotalCount: found.total, BuildList: found.list })
    }, `${status ?? ''}/${page}/${size}`))
  })

  fastify.get('/Build/events', {
    config: { access: 'read' },
    schema: {
      tags: ['Build'],
      summary: 'The history of a build: every accepted change of it or its stages, oldest first',
      querystring: Type.Object({
        DevOpsPlanID,
        BuildIndex,
        AfterEventID: Type.Optional(IntLike({ minimum: 0 }, '^(0|[1-9][0-9]{0,15})$',
          'only events after this EventID (the last one of the previous page)')),
        PageSize: Type.Optional(PageSizeSchema('events per page, 1–500, default 100'))
      }),
      response: responses(EnvelopeSchema({ EventList: Type.Array(BuildEventSchema) },
        'one page of the build\'s history', BuildEventsExample), ['InvalidParameter', 'NotFound'])
    }
  }, async (request) => {
    const { DevOpsPlanID, BuildIndex, AfterEventID = 0, PageSize = 100 } = request.query
    return ok({ EventList: await listBuildEvents(fastify.db, DevOpsPlanID, BuildIndex, AfterEventID, PageSize) })
  })

  fastify.get('/Build/info', {
    config: { access: 'read' },
    schema: {
      tags: ['Build'],
      summary: 'One build: status, times, job, parameters and Jenkins facts',
      querystring: Type.Object({ DevOpsPlanID, BuildIndex }),
      response: responses(EnvelopeSchema({ Build: BuildInfoSchema }), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const { DevOpsPlanID: planId, BuildIndex: buildIndex } = request.query
    const { answer, v: build } = await infos.readVersioned(request.query, async () =>
      ok({ Build: await findBuildInfo(fastify.db, planId, buildIndex) }))
    if (isTerminal(build.status as Status)) return await reply.cached(answer)
    // not ended: the estimate moves with the clock, so it is spliced into the cached answer per request
    const [history, stages] = await Promise.all([
      histories.of(fastify.db, planId, String(build.list_version)),
      runningStages.through(build.id, String(build.revision), async () => await stageRuns(fastify.db, build.id))
    ])
    const e = estimate(history, build, stages, now())
    if (e == null || !answer.body.endsWith(NO_ESTIMATE)) return await reply.cached(answer)
    const tail = `"EstimatedEndTime":${e.EstimatedEndTime},"Progress":${e.Progress}}}`
    return await reply.cached({
      body: answer.body.slice(0, -NO_ESTIMATE.length) + tail,
      etag: `${answer.etag.slice(0, -1)}.${e.EstimatedEndTime}.${e.Progress}"`
    })
  })

  fastify.post('/Build/add', {
    config: { access: 'trigger' },
    schema: {
      tags: ['Build'],
      summary: 'Start a build: allocate the next BuildIndex and trigger the Jenkins job (添加一个 Build)',
      description: 'Checks the parameters against the job\'s definitions (an undeclared name or a choice outside ' +
        `its list: ${ErrorCode.InvalidParameter}, nothing recorded or triggered; ` +
        'missing ones take the job\'s defaults). ' +
        'Records the build as Queued, then triggers the job with the caller\'s parameters plus DevOpsPlanID and ' +
        `BuildIndex. No Jenkins configured: ${ErrorCode.JenkinsNotConfigured} and nothing recorded. ` +
        `Jenkins refuses or does not answer: ${ErrorCode.JenkinsFailed} with the ` +
        'BuildIndex of the build, kept as Fail with the reason in its Detail.',
      body: BuildAddBodySchema,
      response: responses(EnvelopeSchema({ BuildIndex: Type.Integer() }),
        ['InvalidParameter', 'NotFound', 'JenkinsNotConfigured', 'JenkinsFailed', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { DevOpsPlanID, JobName, Parameter, RequestID, RebuildOf } = request.body
    checkJobName(JobName)
    const given = Parameter == null
      ? []
      : Array.isArray(Parameter.parameter) ? Parameter.parameter : [Parameter.parameter]
    const buildIndex = await startBuild(fastify.db, fastify.jenkins, {
      planId: DevOpsPlanID,
      jobName: JobName?.trim(),
      parameter: given.map((p) => ({ name: p.name, value: p.value == null ? '' : String(p.value) })),
      requestId: RequestID,
      // the token's name: who started it (null in open mode, where nobody is named)
      startedBy: request.caller?.name ?? null,
      rebuildOf: RebuildOf
    })
    return ok({ BuildIndex: buildIndex })
  })

  fastify.post('/Build/cancel', {
    config: { access: 'trigger' },
    schema: {
      tags: ['Build'],
      summary: 'Cancel a build: out of the Jenkins queue, or stopped if running; it ends Aborted',
      description: `A build that already ended: ${ErrorCode.Conflict}. ` +
        `Jenkins refuses or does not answer: ${ErrorCode.JenkinsFailed} and the status is unchanged. ` +
        `A build Jenkins no longer has ends Aborted here (${ErrorCode.OK}, the Description says so).`,
      body: Type.Object({ DevOpsPlanID, BuildIndex }, { examples: [{ DevOpsPlanID: 1, BuildIndex: 2 }] }),
      response: responses(OkEnvelope,
        ['InvalidParameter', 'NotFound', 'Conflict', 'JenkinsNotConfigured', 'JenkinsFailed', 'BodyTooLarge'])
    }
  }, async (request) => {
    const { DevOpsPlanID, BuildIndex } = request.body
    const description = await cancelBuild(fastify.db, fastify.jenkins, DevOpsPlanID, BuildIndex)
    return { ...ok({}), Description: description }
  })

  fastify.post('/Build/update', {
    config: { access: 'callback' },
    schema: {
      tags: ['Build'],
      summary: 'Report the status of a stage, or of the build itself (修改某个 Build 的状态)',
      description: 'Creates the stage on first sight (next StageID, PreStageID = the latest stage unless ' +
        'PreStageID or PreStageName is given) or updates it. Statuses only move forward; ' +
        `a backward move is answered ${ErrorCode.OK} and ignored. ` +
        'Without StageName the status is the build\'s own. The same update twice changes nothing. ' +
        'An update naming another Jenkins run than the build\'s (Detail.JenkinsBuildNumber or Detail.URL: ' +
        'a rerun, replay or restart copies DevOpsPlanID and BuildIndex) goes to that run\'s build, ' +
        'and the Description says which.',
      body: BuildUpdateBodySchema,
      response: responses(OkEnvelope, ['InvalidParameter', 'NotFound', 'BodyTooLarge'])
    }
  }, async (request) => {
    const b = request.body
    const parsed = parseStatus(b.Status)
    if (parsed == null) throw invalid(`body/Status "${b.Status}" is not a known status`)
    // the build's own NOT_BUILT comes from its running pipeline (post { always }): it was superseded
    // (abortPrevious, a milestone, a lock) after it started, so it is Aborted, not Skipped
    const superseded = (b.StageName ?? '') === '' && b.Status.trim().toUpperCase() === 'NOT_BUILT'
    const status = superseded ? 'Aborted' : parsed
    const detail = superseded ? { ...b.Detail, JenkinsResult: 'NOT_BUILT' } : b.Detail
    // a rerun, replay or restart reports with the original's key: its updates go to its own build
    const target = await routeToRun(fastify.db, b.DevOpsPlanID, b.BuildIndex, b.Detail)
    const [result] = await applyProgress(fastify.db, { planId: target.planId, buildIndex: target.buildIndex }, [{
      status,
      stageName: b.StageName,
      detail,
      preStageIds: b.PreStageID,
      preStageNames: b.PreStageName,
      startTime: b.StartTime,
      endTime: b.EndTime,
      source: 'callback'
    }])
    const where = target.routed == null
      ? ''
      : `applied to BuildIndex ${target.routed.buildIndex}, Jenkins run #${target.routed.runNumber}`
    const said = [where, result.ignored == null ? '' : `ignored: ${result.ignored}`].filter((x) => x !== '').join('; ')
    return { ErrorCode: ErrorCode.OK, Description: said === '' ? 'OK' : `OK (${said})` }
  })
}

export default builds
