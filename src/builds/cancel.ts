import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { apiError, conflict } from '../errors.js'
import { JenkinsError } from '../jenkins/client.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { applyProgress } from './progress.js'
import { findBuild, recordRun, requestCancel } from '../repositories/builds.js'
import { isTerminal, type Status } from './status.js'

/**
 * Build/cancel: takes the build out of the Jenkins queue, or stops it if it runs, then records it as
 * Aborted. A build caught between queue and executor is stopped by the poller once its number shows.
 */
export async function cancelBuild (db: Kysely<Database>, registry: JenkinsRegistry, planId: number, buildIndex: number): Promise<void> {
  const build = await findBuild(db, planId, buildIndex)
  if (isTerminal(build.status as Status)) throw conflict(`build ${buildIndex} already ended (${build.status})`)
  const client = registry.client(build.jenkins_name)
  if (client == null) throw apiError('JenkinsNotConfigured', 'the Jenkins this build runs on is not configured on this server')

  let note = 'cancelled through Build/cancel'
  try {
    let number = build.jenkins_build_number
    if (number == null && build.queue_id != null && !(await client.cancelQueueItem(build.queue_id))) {
      // no longer waiting: it started (or is starting); find the run to stop it
      const item = await client.queueItem(build.queue_id).catch((err: unknown) => {
        if (err instanceof JenkinsError && err.statusCode === 404) return null
        throw err
      })
      const run = item?.executable ?? await client.buildByQueueId(build.job_name, build.queue_id)
      if (run != null) {
        number = run.number
        await recordRun(db, build.id, run)
      } else {
        await requestCancel(db, build.id)
        note += '; it was leaving the queue and is stopped as soon as its number is known'
      }
    }
    if (number != null) await client.stopBuild(build.job_name, number)
  } catch (err) {
    if (err instanceof JenkinsError) throw apiError('JenkinsFailed', `cancel refused: ${err.message}`)
    throw err
  }
  await applyProgress(db, { planId, buildIndex, status: 'Aborted', detail: { Reason: note }, source: 'cancel' })
}
