import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { apiError, conflict } from '../errors.js'
import { JenkinsError, type JenkinsClient } from '../jenkins/client.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { isOwnQueueItem, orNull404 } from '../jenkins/urls.js'
import { recordedSince } from './run-rules.js'
import { applyProgress } from './progress.js'
import { findBuild, requestCancel, type TrackedBuild } from '../repositories/builds.js'
import { isTerminal, type Status } from '../status.js'

/**
 * Build/cancel: takes the build out of the Jenkins queue, or stops it if it runs, then records it as
 * Aborted; returns the Description. A build can always be cancelled: one caught between queue and
 * executor is stopped by the poller once its number shows, and one Jenkins no longer has ends
 * Aborted here (docs/API.md, "Following Jenkins as it is installed today").
 */
export async function cancelBuild (
  db: Kysely<Database>,
  registry: JenkinsRegistry,
  planId: number,
  buildIndex: number
): Promise<string> {
  const build = await findBuild(db, planId, buildIndex)
  if (isTerminal(build.status as Status)) throw conflict(`build ${buildIndex} already ended (${build.status})`)
  const client = registry.client(build.jenkins_name)
  if (client == null) {
    throw apiError('JenkinsNotConfigured', 'the Jenkins this build runs on is not configured on this server')
  }

  let note = 'cancelled through Build/cancel'
  let description = 'OK'
  let found: { number: number, url: string | null } | null = null
  try {
    let number = build.jenkins_build_number
    if (number == null && build.queue_id != null) {
      const outcome = await client.cancelQueueItem(build.queue_id)
      if (outcome !== 'cancelled') {
        // it left the queue (500 "Could not cancel": started, or starting) or Jenkins forgot the item (404): find its
        // run
        const run = await findRun(client, build, build.queue_id, outcome === 'left')
        if (run != null) {
          number = run.number
          found = run
        } else if (outcome === 'left') {
          await requestCancel(db, build.id)
          note += '; it was leaving the queue and is stopped as soon as its number is known'
        } else {
          note += `; Jenkins no longer knows queue item ${build.queue_id} and no run of "${build.job_name}" came ` +
            'from it'
          description = `OK: Jenkins no longer has this build (queue item ${build.queue_id} unknown); recorded as ` +
            'Aborted'
        }
      }
    }
    if (number != null && !(await client.stopRun(build.job_name, number))) {
      note += `; Jenkins no longer has run #${number} of "${build.job_name}"`
      description = `OK: Jenkins no longer has run #${number} of "${build.job_name}"; recorded as Aborted`
    }
  } catch (err) {
    if (err instanceof JenkinsError) throw apiError('JenkinsFailed', `cancel refused: ${err.message}`)
    throw err
  }
  // the run it became is recorded with the result, in one write (a refused stop leaves it to the poller)
  const jenkins = found == null ? undefined : { buildNumber: found.number, url: found.url ?? undefined }
  const aborted = { status: 'Aborted' as const, detail: { Reason: note }, jenkins, source: 'cancel' as const }
  await applyProgress(db, { planId, buildIndex }, [aborted])
  return description
}

/** The run a queue item became: the item's executable (when the item is ours), else the job's build carrying its queue
 * id.
 */
async function findRun (
  client: JenkinsClient,
  build: TrackedBuild,
  queueId: number,
  askItem: boolean
): Promise<{ number: number, url: string | null } | null> {
  if (askItem) {
    const item = await orNull404(client.queueItem(queueId))
    if (item != null && isOwnQueueItem(item, client.baseUrl, build.job_name) && item.executable != null) {
      return item.executable
    }
  }
  return await orNull404(client.runByQueueId(build.job_name, queueId, recordedSince(build)))
}
