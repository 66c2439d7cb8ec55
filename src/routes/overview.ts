import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { invalid, notFound } from '../errors.js'
import { VersionedReader } from '../lib/versioned-reader.js'
import { type GridPage, gridVersion, overview, overviewVersion, planGrid } from '../repositories/overview.js'
import { EnvelopeSchema, ok, responses } from '../schemas/common.js'
import {
  GridBuildSchema, OverviewPlanSchema, OverviewBuildSchema, OverviewRunningSchema, PlanGridQuerySchema
} from '../schemas/overview.js'
import { parseStatus } from '../status.js'
import { ROLES } from '../lib/access.js'
import { INJECTED } from '../builds/parameters.js'
import { PlanHistories } from '../builds/plan-history.js'
import { now } from '../lib/time.js'

const injected = new Set<string>(INJECTED)

const FAILURES = 20
/** Running builds' estimates move with the clock: the overview is recomputed at most this often without writes. */
const ESTIMATE_EVERY_S = 10
const noPlan = (): never => { throw notFound('plan') }

// The dashboard's home and a plan's grid, each one cached read instead of one request per plan or build.
const overviewRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const overviews = new VersionedReader(4 * 1024 * 1024, async () =>
    `${await overviewVersion(fastify.db)}@${Math.floor(now() / ESTIMATE_EVERY_S)}`)
  const histories = new PlanHistories()
  // one version per plan and Last: the builds shown and their stages
  const grids = new VersionedReader(16 * 1024 * 1024, async (k: { planId: number } & GridPage) =>
    await gridVersion(fastify.db, k.planId, k) ?? noPlan(),
  { keyOf: (k) => `${k.planId}/${k.last}/${k.page}/${k.status ?? ''}` })

  fastify.get('/Plan/overview', {
    config: { access: 'read' },
    schema: {
      tags: ['Plan'],
      summary: 'What is running, what is red: every plan with its newest build, the builds not ended, ' +
        'the latest failures',
      description: 'RunningList: builds Queued, Running or Paused, newest first (at most 200), each with ' +
        `its estimate as Build/info gives it, as of the answer (at most ${ESTIMATE_EVERY_S} s old). ` +
        `FailureList: the ${FAILURES} ` +
        'builds that ended Fail or Unstable most recently, across products.',
      querystring: Type.Object({}),
      response: responses(EnvelopeSchema({
        PlanList: Type.Array(OverviewPlanSchema),
        RunningList: Type.Array(OverviewRunningSchema),
        FailureList: Type.Array(OverviewBuildSchema)
      }, 'the overview'), ['InvalidParameter'])
    }
  }, async (_request, reply) =>
    await reply.cached(overviews.read('all', async () => {
      const o = await overview(fastify.db, FAILURES)
      const estimates = await histories.estimates(fastify.db, o.running.map((b) =>
        ({ id: b.id, planId: b.DevOpsPlanID, listVersion: b.listVersion, startTime: b.StartTime })), now())
      const running = o.running.map(({ id, listVersion, ...b }) => {
        const e = estimates.get(id)
        return { ...b, EstimatedEndTime: e?.EstimatedEndTime ?? null, Progress: e?.Progress ?? null }
      })
      return ok({ PlanList: o.plans, RunningList: running, FailureList: o.failed })
    })))

  fastify.get('/Plan/grid', {
    config: { access: 'read' },
    schema: {
      tags: ['Plan'],
      summary: 'The plan\'s last builds × their stages (newest first), for a stage grid and mini strips',
      description: 'The builds of one page of Build/list: Last is its PageSize, with the same Status and PageIndex.',
      querystring: PlanGridQuerySchema,
      response: responses(EnvelopeSchema({
        BuildList: Type.Array(GridBuildSchema)
      }, 'the last builds with their stages'), ['InvalidParameter', 'NotFound'])
    }
  }, async (request, reply) => {
    const { DevOpsPlanID: planId, Last: last = 20, PageIndex: page = 1, Status } = request.query
    const status = Status == null ? undefined : parseStatus(Status)
    if (Status != null && status == null) throw invalid(`querystring/Status "${Status}" is not a known status`)
    return await reply.cached(grids.read({ planId, last, page, status }, async () => {
      const list = await planGrid(fastify.db, planId, { last, page, status })
      // what a person chose: the two the service injects on every trigger say nothing about a build
      return ok({ BuildList: list.map((b) => ({ ...b, Parameter: b.Parameter.filter((p) => !injected.has(p.name)) })) })
    }))
  })

  fastify.get('/Token/whoami', {
    config: { access: 'any' },
    schema: {
      tags: ['Token'],
      summary: 'The calling token\'s name and role, so a page can hide what the role may not do',
      description: 'Any valid token. While the server is open (no token was ever created): Name null, Role admin.',
      querystring: Type.Object({}),
      response: responses(EnvelopeSchema({
        Name: Type.Union([Type.String(), Type.Null()], { description: 'the token\'s name; null in open mode' }),
        Role: Type.Union(ROLES.map((r) => Type.Literal(r)))
      }, 'who is calling', { Name: 'ci-lead', Role: 'trigger' }))
    }
  }, async (request) => {
    const caller = request.caller
    return ok({ Name: caller?.name ?? null, Role: caller?.role ?? 'admin' })
  })
}

export default overviewRoutes
