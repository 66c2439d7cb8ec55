import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { jobNameFromUrl, jobOfRunUrl } from '../jenkins/urls.js'
import { applyProgress } from './progress.js'
import { findBuild, findForNotification, instanceOfRunUrl, type TrackedBuild } from '../repositories/builds.js'
import { routeToRun } from './rerun.js'
import { isTerminal, parseStatus, type Status } from '../status.js'
import type { Notification } from '../schemas/notification.js'
import { isHttpUrl, plausibleTimeMs, positiveIntOf, positiveSafeInt } from '../lib/bounds.js'

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
export async function receiveNotification (
  db: Kysely<Database>,
  deps: NotificationDeps,
  n: Notification
): Promise<string> {
  const b = n.build
  // numbers are used only when they can be run numbers and ids, times only between 2000 and 2100
  const number = positiveSafeInt(b.number)
  const queueId = positiveSafeInt(b.queue_id, Number.MAX_SAFE_INTEGER)
  const timestamp = plausibleTimeMs(b.timestamp)
  // where it came from: a configured instance's URL, or the root URL an instance reports for its runs
  const instance = b.full_url == null ? soleInstance(deps.registry) : await instanceOf(db, deps.registry, b.full_url)
  if (b.full_url != null && instance === undefined) {
    return (
      `ignored: ${hostOf(b.full_url)} is not a configured Jenkins (JENKINS_URL, JENKINS_INSTANCES) ` +
      'nor the root URL one reports for its runs'
    )
  }
  const build = (await correlate(db, n, { instance, queueId, number })) ?? (await rerunBuild(db, n, instance, number))
  if (build == null) return `ignored: no build matches this notification (${describeKey(n)})`
  // known facts are never overwritten: a notification naming another run is not about this build
  if (build.jenkins_build_number != null && number != null && number !== build.jenkins_build_number) {
    return `ignored: build ${build.build_index} of plan ${build.plan_id} is Jenkins run ` +
      `#${build.jenkins_build_number}, not #${number}`
  }
  // nor one whose run URL is another job's: the queue id or our parameters matched, the run is not ours
  const job = jobOfRunUrl(b.full_url)
  if (job != null && job !== build.job_name) {
    return `ignored: full_url is a run of job ${job}; build ${build.build_index} of plan ${build.plan_id} ` +
      `runs job ${build.job_name}`
  }
  const phase = b.phase.toUpperCase()
  if (isTerminal(build.status as Status)) {
    // an old notification sent again (or one racing the pipeline's own report) never rewrites a result:
    // the poller reads Jenkins' own, if it still follows the build
    await deps.pollNow(build.id).catch(() => false)
    return (
      `ignored: build ${build.build_index} of plan ${build.plan_id} already ended (${build.status}); ` +
      "Jenkins' own result is read by the poller"
    )
  }
  // a run URL is stored once, from a configured instance, only http(s) and naming the build's job: never replaced
  const url = build.jenkins_url == null && instance !== undefined && isRunUrlOf(build, b.full_url)
    ? b.full_url
    : undefined
  const facts = { buildNumber: number, url }
  const key = { planId: build.plan_id, buildIndex: build.build_index }
  const from = { jenkins: facts, source: 'webhook' as const }
  const at = timestamp == null ? undefined : Math.floor(timestamp / 1000)

  if (phase === 'QUEUED' || phase === 'STARTED') {
    // QUEUED comes with STARTED at build start (never at enqueue time): both mean it runs now
    const startTime = phase === 'STARTED' ? at : undefined
    const [r] = await applyProgress(db, key, [{ ...from, status: 'Running', startTime }])
    return r.ignored == null ? 'OK' : `OK (ignored: ${r.ignored})`
  }
  if (phase === 'COMPLETED' || phase === 'FINALIZED') {
    // fetch the final stages now rather than at the next tick
    await deps.pollNow(build.id).catch(() => false)
    // NOT_BUILT on a run that started: interrupted (abortPrevious, a milestone, a lock), not skipped
    const notBuilt = b.status?.trim().toUpperCase() === 'NOT_BUILT'
    const status: Status | undefined = b.status == null ? undefined : notBuilt ? 'Aborted' : parseStatus(b.status)
    if (status == null) return `ignored: ${phase} without a known status (${b.status ?? 'none'})`
    const [r] = await applyProgress(db, key, [{
      ...from,
      status,
      endTime: phase === 'COMPLETED' ? at : undefined,
      ...(notBuilt ? { detail: { JenkinsResult: 'NOT_BUILT' } } : {})
    }])
    return r.ignored == null ? 'OK' : `OK (ignored: ${r.ignored})`
  }
  return `ignored: phase ${b.phase} carries no status`
}

/** The build a notification is about: by (instance, queue id), by run URL, by (instance, job, number), else by our
 * parameters while it has no run yet.
 */
async function correlate (
  db: Kysely<Database>,
  n: Notification,
  k: { instance: string | null | undefined, queueId: number | undefined, number: number | undefined }
): Promise<TrackedBuild | undefined> {
  const b = n.build
  const params = b.parameters ?? {}
  return await findForNotification(db, {
    instance: k.instance,
    queueId: k.queueId,
    planId: positiveIntOf(params.DevOpsPlanID),
    buildIndex: positiveIntOf(params.BuildIndex),
    url: b.full_url,
    job: jobNameFromUrl(n.url ?? b.url),
    number: k.number
  })
}

/**
 * The configured instance a run URL belongs to (null = the default): the one whose base URL starts
 * it, else the one that reported that root URL for its runs (behind a reverse proxy: learnt by this
 * process from the URLs Jenkins returned, or by another one, from the run URLs stored); undefined
 * when none does.
 */
export async function instanceOf (
  db: Kysely<Database>,
  registry: JenkinsRegistry,
  url: string
): Promise<string | null | undefined> {
  if (!isHttpUrl(url)) return undefined
  const clients: ReadonlyArray<readonly [string | null, { baseUrl: string, rootUrls: ReadonlySet<string> } | null]> = [
    ...(registry.default == null ? [] : [[null, registry.default] as const]),
    ...registry.names().map((n) => [n, registry.client(n)] as const)
  ]
  const prefixes = clients.flatMap(([name, c]) =>
    c == null ? [] : [[name, c.baseUrl + '/'] as const, ...[...c.rootUrls].map((root) => [name, root] as const)]
  )
  const hit = prefixes.filter(([, p]) => url.startsWith(p)).sort((a, b) => b[1].length - a[1].length)[0]
  if (hit != null) return hit[0]
  const at = url.indexOf('/job/')
  if (at < 0) return undefined
  const known = await instanceOfRunUrl(db, url.slice(0, at + 1))
  if (known === undefined) return undefined
  // only an instance that is configured here
  return known === null
    ? registry.default == null
      ? undefined
      : null
    : registry.client(known) == null
      ? undefined
      : known
}

/** Without a run URL, the instance is known only when there is one (null = the default); else undefined. */
function soleInstance (registry: JenkinsRegistry): string | null | undefined {
  const names = registry.names()
  if (registry.default != null) return names.length === 0 ? null : undefined
  return names.length === 1 ? names[0] : undefined
}

/**
 * A rerun, replay or restart carries the original's DevOpsPlanID and BuildIndex on a new run: its
 * notifications belong to the build of that run (recorded now if discovery has not yet), never the original.
 */
async function rerunBuild (db: Kysely<Database>, n: Notification, instance: string | null | undefined,
  number: number | undefined): Promise<TrackedBuild | undefined> {
  const params = n.build.parameters ?? {}
  const planId = positiveIntOf(params.DevOpsPlanID)
  const buildIndex = positiveIntOf(params.BuildIndex)
  if (planId == null || buildIndex == null || number == null || instance === undefined) return undefined
  const target = await routeToRun(db, planId, buildIndex, { JenkinsBuildNumber: number, URL: n.build.full_url })
  if (target.routed == null) return undefined
  const build = await findBuild(db, planId, target.buildIndex)
  return build.jenkins_name === instance ? build : undefined
}

/** Whether `url` may be stored as the build's run URL: http(s), naming the build's own job. */
export function isRunUrlOf (build: Pick<TrackedBuild, 'job_name'>, url: unknown): url is string {
  return jobOfRunUrl(url) === build.job_name
}

function hostOf (url: string): string {
  try { return new URL(url).host || url.slice(0, 40) } catch { return JSON.stringify(url.slice(0, 40)) }
}

function describeKey (n: Notification): string {
  const b = n.build
  return (
    [
      b.queue_id == null ? null : `queue_id ${b.queue_id}`,
      b.full_url ?? n.url,
      b.number == null ? null : `#${b.number}`
    ]
      .filter((x) => x != null)
      .join(', ') || 'no queue_id, parameters or URL'
  )
}
