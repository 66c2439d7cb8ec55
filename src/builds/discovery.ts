import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import {
  advanceMark,
  getMark,
  importRun,
  ownRuns,
  resetMark,
  setFirstMark,
  watchers,
  type Watcher
} from '../repositories/discovery.js'
import type { JenkinsParameter } from '../schemas/build.js'
import { JenkinsError, type JenkinsClient, type RecentRun } from '../jenkins/client.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { isHttpUrl, plausibleTimeMs, positiveSafeInt } from '../lib/bounds.js'

/** runs read by the one request per job and tick; more are read only when more than this came in since the mark */
const PAGE = 20
/** runs per request when catching up past the first page */
const CATCH_UP_PAGE = 100
/** at most this many runs read per job and tick; a job further behind keeps its mark and is read again */
const MAX_READ = 5000

export interface DiscoveryOptions {
  /** DISCOVER_BUILDS */
  enabled: boolean
  /** jobs read at once */
  concurrency?: number
}

export interface DiscoveryReport { jobs: number, requests: number, imported: number, errors: number }

/**
 * Finds runs of watched jobs that the service did not start (timer, SCM, a person, replay, rebuild,
 * upstream) and records each as a new build of every plan watching that job on that instance.
 * One Jenkins request per (instance, job) per tick (more only when more than 20 runs came in); a
 * per-job watermark means no backfill, and starts over when the job's numbers go back.
 */
export class Discovery {
  constructor (private readonly db: Kysely<Database>, private readonly registry: JenkinsRegistry,
    private readonly log: FastifyBaseLogger, private readonly opts: DiscoveryOptions) {}

  async runOnce (): Promise<DiscoveryReport> {
    const report: DiscoveryReport = { jobs: 0, requests: 0, imported: 0, errors: 0 }
    if (!this.opts.enabled || !this.registry.configured) return report
    const groups = new Map<string, { jenkinsName: string | null, jobName: string, plans: Watcher[] }>()
    for (const w of await watchers(this.db)) {
      const key = `${w.jenkins_name ?? ''}\n${w.job_name}`
      const g = groups.get(key) ?? { jenkinsName: w.jenkins_name, jobName: w.job_name, plans: [] }
      g.plans.push(w)
      groups.set(key, g)
    }
    // an instance that does not answer is skipped for the rest of the tick: no request storm
    const unreachable = new Set<string>()
    const queue = [...groups.values()]
    const worker = async (): Promise<void> => {
      for (let g = queue.shift(); g != null; g = queue.shift()) {
        const client = this.registry.client(g.jenkinsName)
        const instance = g.jenkinsName ?? ''
        if (client == null || unreachable.has(instance)) continue
        report.jobs++
        try {
          // awaited first: `x += await` would read x before the other workers add to it
          const imported = await this.discoverJob(client, g.jenkinsName, g.jobName, g.plans, report)
          report.imported += imported
        } catch (err) {
          report.errors++
          if (err instanceof JenkinsError && err.statusCode == null) unreachable.add(instance)
          if (!(err instanceof JenkinsError)) throw err
          this.log.debug({ job: g.jobName, instance, err: err.message }, 'discovery: job not read')
        }
      }
    }
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 8 }, worker))
    if (report.imported > 0) {
      this.log.info({ imported: report.imported }, 'discovery: runs Jenkins started itself recorded')
    }
    return report
  }

  private async discoverJob (client: JenkinsClient, jenkinsName: string | null, jobName: string, plans: Watcher[],
    report: DiscoveryReport): Promise<number> {
    const key = jenkinsName ?? ''
    report.requests++
    const first = await client.recentRuns(jobName, 0, PAGE)
    const nextBuildNumber = first.nextBuildNumber
    let mark = await getMark(this.db, key, jobName)
    if (mark == null) {
      // first sighting: what ran before is history
      await setFirstMark(this.db, key, jobName, nextBuildNumber - 1)
      return 0
    }
    if (nextBuildNumber - 1 < mark) {
      // the job's numbers went back: it was deleted and created again (Job DSL, JCasC, a re-pushed branch)
      await resetMark(this.db, key, jobName, 0)
      mark = 0
      this.log.info(
        { job: jobName, instance: key || 'default' },
        "discovery: the job's run numbers went back (recreated): reading it from the start"
      )
    }
    // back to the mark, however many runs came in since the last read (newest first, up to MAX_READ)
    const builds = first.builds.filter((b) => positiveSafeInt(b.number) != null)
    let oldest = Math.min(...builds.map((b) => b.number))
    let more = first.builds.length === PAGE // a short page is the end of the job's runs
    let read = first.builds.length
    while (more && oldest > mark + 1 && read < MAX_READ) {
      report.requests++
      // one run again: a run deleted between two requests moves the others up, and none is skipped
      const from = read - 1
      const page = (await client.recentRuns(jobName, from, from + CATCH_UP_PAGE)).builds
      for (const b of page) {
        if (positiveSafeInt(b.number) == null) continue
        builds.push(b)
        oldest = Math.min(oldest, b.number)
      }
      more = page.length === CATCH_UP_PAGE
      read = from + page.length
    }
    // runs between the mark and the oldest run read were not read: the mark stays where it is, so they are next time
    const complete = !more || oldest <= mark + 1
    if (!complete) {
      this.log.warn(
        { job: jobName, instance: key || 'default', mark, oldest },
        `discovery: more than ${MAX_READ} runs since the last read: the newest recorded, the mark kept`
      )
    }
    const fresh = [...new Map(builds.map((b) => [b.number, b])).values()]
      .filter((b) => b.number > (mark as number))
      .sort((a, b) => a.number - b.number)
    if (fresh.length === 0) return 0
    const described = fresh.map((run) => ({ run, ...describe(run) }))
    const own = await ownRuns(this.db, jenkinsName, jobName, described.map(({ run, parameter }) => ({
      number: run.number,
      queueId: positiveSafeInt(run.queueId) ?? null,
      timestamp: plausibleTimeMs(run.timestamp) ?? Date.now(),
      ...ourKey(parameter)
    })))
    let imported = 0
    for (const { run, cause, parameter } of described) {
      if (own.has(run.number)) continue
      for (const plan of plans) {
        // never a run older than the plan
        if (run.timestamp < plan.created_at * 1000) continue
        const done = await importRun(this.db, {
          planId: plan.id,
          jenkinsName,
          jobName,
          number: run.number,
          queueId: positiveSafeInt(run.queueId) ?? null,
          url: isHttpUrl(run.url) ? run.url : null,
          timestamp: plausibleTimeMs(run.timestamp) ?? Date.now(),
          cause,
          parameter
        })
        if (done) imported++
      }
    }
    if (complete) await advanceMark(this.db, key, jobName, fresh[fresh.length - 1].number)
    return imported
  }
}

/** The run's cause text (several joined with "; ") and its parameter values as strings (passwords have none). */
function describe (run: RecentRun): { cause: string | null, parameter: JenkinsParameter[] } {
  const causes: string[] = []
  const parameter: JenkinsParameter[] = []
  for (const a of run.actions ?? []) {
    for (const c of a?.causes ?? []) if (c.shortDescription != null) causes.push(c.shortDescription)
    for (const p of a?.parameters ?? []) if (p.value != null) parameter.push({ name: p.name, value: String(p.value) })
  }
  return { cause: causes.length === 0 ? null : causes.join('; ').slice(0, 1024), parameter }
}

/** Our DevOpsPlanID/BuildIndex when the run carries them. */
function ourKey (parameter: JenkinsParameter[]): { planId?: number, buildIndex?: number } {
  const planId = Number(parameter.find((p) => p.name === 'DevOpsPlanID')?.value)
  const buildIndex = Number(parameter.find((p) => p.name === 'BuildIndex')?.value)
  return Number.isSafeInteger(planId) && planId > 0 && Number.isSafeInteger(buildIndex) && buildIndex > 0
    ? { planId, buildIndex }
    : {}
}
