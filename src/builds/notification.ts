import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { jobNameFromUrl } from '../jenkins/urls.js'
import { applyProgress } from './progress.js'
import { findForNotification, type TrackedBuild } from '../repositories/builds.js'
import { parseStatus, type Status } from '../status.js'
import type { Notification } from '../schemas/notification.js'

/** What a notification needs besides the database: the instances, and a way to poll a build at once. */
export interface NotificationDeps {
  registry: JenkinsRegistry
  /** polls the build now unless a tick holds it (the poller's pollNow) */
  pollNow: (buildId: number) => Promise<boolean>
}

/**
 * Applies one notification through the common write path; returns the Description: "OK", or what
 * was ignored. Jenkins must get a 2xx either way, or it would retry forever.
 */
export async function receiveNotification (db: Kysely<Database>, deps: NotificationDeps, n: Notification): Promise<string> {
  const build = await correlate(db, deps.registry, n)
  if (build == null) return `ignored: no build matches this notification (${describeKey(n)})`
  const b = n.build
  // known facts are never overwritten: a notification naming another run is not about this build
  if (build.jenkins_build_number != null && b.number != null && b.number !== build.jenkins_build_number) {
    return `ignored: build ${build.build_index} of plan ${build.plan_id} is Jenkins run #${build.jenkins_build_number}, not #${b.number}`
  }
  // a run URL is kept only under a configured instance's base URL (never `javascript:` or another host)
  const facts = { buildNumber: b.number, url: instanceOf(deps.registry, b.full_url) === undefined ? undefined : b.full_url }
  const key = { planId: build.plan_id, buildIndex: build.build_index }
  const from = { jenkins: facts, source: 'webhook' as const }
  const phase = b.phase.toUpperCase()
  const at = typeof b.timestamp === 'number' ? Math.floor(b.timestamp / 1000) : undefined

  if (phase === 'QUEUED' || phase === 'STARTED') {
    // QUEUED comes with STARTED at build start (never at enqueue time): both mean it runs now
    const [r] = await applyProgress(db, key, [{ ...from, status: 'Running', startTime: phase === 'STARTED' ? at : undefined }])
    return r.ignored == null ? 'OK' : `OK (ignored: ${r.ignored})`
  }
  if (phase === 'COMPLETED' || phase === 'FINALIZED') {
    // fetch the final stages now rather than at the next tick
    await deps.pollNow(build.id).catch(() => false)
    const status: Status | undefined = b.status == null ? undefined : parseStatus(b.status)
    if (status == null) return `ignored: ${phase} without a known status (${b.status ?? 'none'})`
    const [r] = await applyProgress(db, key, [{ ...from, status, endTime: phase === 'COMPLETED' ? at : undefined }])
    return r.ignored == null ? 'OK' : `OK (ignored: ${r.ignored})`
  }
  return `ignored: phase ${b.phase} carries no status`
}

/** The build a notification is about: by (instance, queue id), by run URL, by (instance, job, number), else by our parameters while it has no run yet. */
async function correlate (db: Kysely<Database>, registry: JenkinsRegistry, n: Notification): Promise<TrackedBuild | undefined> {
  const b = n.build
  const params = b.parameters ?? {}
  return await findForNotification(db, {
    instance: instanceOf(registry, b.full_url),
    queueId: b.queue_id,
    planId: positiveInt(params.DevOpsPlanID),
    buildIndex: positiveInt(params.BuildIndex),
    url: b.full_url,
    job: jobNameFromUrl(n.url ?? b.url),
    number: b.number
  })
}

/** The configured instance whose base URL starts the run's URL (null = the default); undefined when none does. */
function instanceOf (registry: JenkinsRegistry, url: string | undefined): string | null | undefined {
  if (url == null) return undefined
  const candidates: Array<[string | null, string]> = [
    ...(registry.default == null ? [] : [[null, registry.default.baseUrl] as [null, string]]),
    ...registry.names().map((n) => [n, registry.client(n)?.baseUrl ?? ''] as [string, string])
  ]
  const hit = candidates.filter(([, base]) => base !== '' && url.startsWith(base + '/')).sort((a, b) => b[1].length - a[1].length)[0]
  return hit == null ? undefined : hit[0]
}

function positiveInt (v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

function describeKey (n: Notification): string {
  const b = n.build
  return [b.queue_id == null ? null : `queue_id ${b.queue_id}`, b.full_url ?? n.url, b.number == null ? null : `#${b.number}`]
    .filter((x) => x != null).join(', ') || 'no queue_id, parameters or URL'
}
