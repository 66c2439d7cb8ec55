import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { apiError, invalid } from '../errors.js'
import { JenkinsError } from '../jenkins/client.js'
import { errorCode } from '../lib/error-code.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { markQueued, markTriggerFailed, recordBuild } from '../repositories/builds.js'
import type { JenkinsParameter } from '../schemas/build.js'
import { getPlan } from '../repositories/plans.js'

/** Parameters the service always sets itself, so the pipeline can call back. */
export const INJECTED = ['DevOpsPlanID', 'BuildIndex'] as const

export interface StartBuild {
  planId: number
  jobName?: string
  parameter: JenkinsParameter[]
}

/**
 * Build/add: record the build as Queued under the next BuildIndex, then trigger Jenkins with the
 * caller's parameters plus the real DevOpsPlanID and BuildIndex. A refusal keeps the build as Fail.
 */
export async function startBuild (db: Kysely<Database>, registry: JenkinsRegistry, req: StartBuild): Promise<number> {
  const plan = await getPlan(db, req.planId)
  const jobName = req.jobName ?? plan.job_name
  if (jobName == null) throw invalid('body/JobName is required: the plan has no default job')
  const jenkins = registry.client(plan.jenkins_name)
  if (jenkins == null) {
    throw apiError('JenkinsNotConfigured', plan.jenkins_name == null
      ? 'Jenkins is not configured on this server (JENKINS_URL is unset)'
      : `Jenkins instance "${plan.jenkins_name}" is not configured on this server (JENKINS_INSTANCES)`)
  }

  const caller = req.parameter.filter((p) => !(INJECTED as readonly string[]).includes(p.name))
  const build = await recordBuild(db, plan.id, jobName, plan.jenkins_name, (index) => [
    ...caller,
    { name: 'DevOpsPlanID', value: String(plan.id) },
    { name: 'BuildIndex', value: String(index) }
  ])

  try {
    const queued = await jenkins.trigger(jobName, Object.fromEntries(build.parameter.map((p) => [p.name, p.value])))
    await markQueued(db, build.id, queued.queueId, queued.reusedQueueItem
      ? 'Jenkins reused an identical waiting queue item'
      : queued.queueId == null ? 'Jenkins accepted the build without naming its queue item: it cannot be followed' : undefined)
  } catch (err) {
    const reason = err instanceof JenkinsError ? err.message : `Jenkins trigger failed (${errorCode(err)})`
    await markTriggerFailed(db, build.id, reason)
    throw apiError('JenkinsFailed', reason, { BuildIndex: build.buildIndex })
  }
  return build.buildIndex
}
