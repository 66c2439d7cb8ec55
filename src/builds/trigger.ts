import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { apiError, invalid, notFound } from '../errors.js'
import { JenkinsError, NotAJob, type ParameterDefinition } from '../jenkins/client.js'
import { errorCode } from '../lib/error-code.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { buildExists, findByRequestId, markQueued, markTriggerFailed, recordBuild } from '../repositories/builds.js'
import type { JenkinsParameter } from '../schemas/build.js'
import { getPlan } from '../repositories/plans.js'
import { definitionsOf, forgetDefinitions, INJECTED, resolveParameters, type Resolved } from './parameters.js'

export interface StartBuild {
  planId: number
  jobName?: string
  parameter: JenkinsParameter[]
  /** Build/add's RequestID: a repeat answers the first build's BuildIndex and triggers nothing */
  requestId?: string
  /** the calling token's name (null in open mode) */
  startedBy?: string | null
  /** the BuildIndex of this plan the build repeats */
  rebuildOf?: number
}

const UNMATCHABLE = 'the job does not declare DevOpsPlanID and BuildIndex: callbacks cannot be matched by parameters (the poller follows the build by its queue item)'

/**
 * Build/add: check the caller's parameters against the job's definitions (nothing recorded when
 * they are wrong), record the build as Queued under the next BuildIndex, then trigger Jenkins with
 * the caller's parameters plus the real DevOpsPlanID and BuildIndex. A refusal keeps the build as Fail.
 */
export async function startBuild (db: Kysely<Database>, registry: JenkinsRegistry, req: StartBuild): Promise<number> {
  const plan = await getPlan(db, req.planId)
  if (req.requestId != null) {
    const seen = await findByRequestId(db, plan.id, req.requestId)
    if (seen != null) return seen
  }
  if (req.rebuildOf != null && !(await buildExists(db, plan.id, req.rebuildOf))) {
    throw notFound(`body/RebuildOf: build ${req.rebuildOf} of plan ${plan.id}`)
  }
  const jobName = req.jobName ?? plan.job_name
  if (jobName == null) throw invalid('body/JobName is required: the plan has no default job')
  const jenkins = registry.client(plan.jenkins_name)
  if (jenkins == null) {
    throw apiError('JenkinsNotConfigured', plan.jenkins_name == null
      ? 'Jenkins is not configured on this server (JENKINS_URL is unset)'
      : `Jenkins instance "${plan.jenkins_name}" is not configured on this server (JENKINS_INSTANCES)`)
  }

  let defs: ParameterDefinition[] | null | undefined
  let unreadable: string | undefined
  try {
    defs = await definitionsOf(jenkins, jobName)
  } catch (err) {
    // a folder or a multibranch project has nothing to build: the caller named the wrong thing
    if (err instanceof NotAJob) throw invalid(`body/JobName ${err.message}`)
    // round-1 rule: the build is recorded as Fail with the reason, so nothing the caller sent is lost
    unreadable = err instanceof JenkinsError ? err.message : `Jenkins parameter definitions unreadable: ${(err as Error).message}`
  }
  const resolved: Resolved = defs === undefined
    ? { send: req.parameter, effective: req.parameter.filter((p) => !(INJECTED as readonly string[]).includes(p.name)), matchable: true }
    : resolveParameters(jobName, defs, req.parameter)

  // W3C trace context for Jenkins' OpenTelemetry plugin: the run's spans then carry our trace id
  // (flags 01 = sampled: its default sampler follows the parent's decision)
  const trace = newTraceContext()
  const build = await recordBuild(db, plan.id, jobName, plan.jenkins_name, (index) => [
    ...resolved.effective,
    { name: 'DevOpsPlanID', value: String(plan.id) },
    { name: 'BuildIndex', value: String(index) }
  ], req.requestId, { startedBy: req.startedBy, rebuildOf: req.rebuildOf, traceId: trace.traceId })
  if (build.existing) return build.buildIndex
  if (unreadable != null) {
    await markTriggerFailed(db, build.id, unreadable)
    throw apiError('JenkinsFailed', unreadable, { BuildIndex: build.buildIndex })
  }

  try {
    const send = resolved.send == null
      ? null
      : { ...Object.fromEntries(resolved.send.map((p) => [p.name, p.value])), DevOpsPlanID: String(plan.id), BuildIndex: String(build.buildIndex) }
    const queued = await jenkins.trigger(jobName, send, { traceparent: trace.traceparent })
    // without a queue item nothing can be followed, and a Queued build would wait for ever
    if (queued.queueId == null) throw new JenkinsError(`Jenkins answered the trigger of "${jobName}" without a queue item: nothing was queued to follow`)
    const notes = [
      queued.reusedQueueItem ? 'Jenkins reused an identical waiting queue item' : undefined,
      resolved.matchable ? undefined : UNMATCHABLE
    ].filter((n) => n != null)
    await markQueued(db, build.id, queued.queueId, notes.length === 0 ? undefined : notes.join('; '))
  } catch (err) {
    forgetDefinitions(jenkins, jobName)
    const reason = err instanceof JenkinsError ? err.message : `Jenkins trigger failed (${errorCode(err)})`
    await markTriggerFailed(db, build.id, reason)
    throw apiError('JenkinsFailed', reason, { BuildIndex: build.buildIndex })
  }
  return build.buildIndex
}

/** A fresh trace id (32 hex digits) and the `traceparent` header naming it (a random parent span id). */
export function newTraceContext (): { traceId: string, traceparent: string } {
  const traceId = randomBytes(16).toString('hex')
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }
}
