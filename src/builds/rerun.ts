import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { findBuild, type TrackedBuild } from '../repositories/builds.js'
import { findRunBuild, importRun, rerunCause } from '../repositories/discovery.js'
import { jobNameFromUrl } from '../jenkins/urls.js'
import { isHttpUrl, positiveSafeInt } from '../lib/bounds.js'

// A Rerun (Pipeline Graph View's button), Replay, Rebuild or Restart from Stage copies the original
// run's parameters, DevOpsPlanID and BuildIndex included (workflow-cps ReplayAction.COPIED_ACTIONS;
// pipeline-model-definition's restart keeps the ParametersAction). The copy's Jenkinsfile then
// reports with the original's key: its updates belong to the build of the run it names, never to
// the original, whose stages and history stay as they were (docs/API.md "A rerun is never the
// original build").

export interface Target {
  planId: number
  buildIndex: number
  /** set when the update was sent on to another build than the one it named */
  routed?: { buildIndex: number, runNumber: number }
}

/**
 * The run an update names: Detail.JenkinsBuildNumber (a number or a string of digits), else the number in Detail.URL.
 */
export function namedRun (detail: Record<string, unknown> | undefined): { number: number, url?: string } | undefined {
  if (detail == null) return undefined
  const url = typeof detail.URL === 'string' ? detail.URL : undefined
  const fromUrl = url == null ? undefined : runOfUrl(url)
  const given = detail.JenkinsBuildNumber
  const number = positiveSafeInt(
    typeof given === 'string' && /^\d{1,16}$/.test(given.trim()) ? Number(given.trim()) : given
  )
  if (number != null) return { number, ...(fromUrl?.number === number ? { url: fromUrl.runUrl } : {}) }
  return fromUrl == null ? undefined : { number: fromUrl.number, url: fromUrl.runUrl }
}

/** "http://jenkins/job/a/job/b/8/console" → run 8 of job "a/b" at "http://jenkins/job/a/job/b/8/" */
function runOfUrl (url: string): { number: number, job: string | null, runUrl?: string } | undefined {
  let path: string
  try { path = new URL(url).pathname } catch { return undefined }
  const m = path.match(/^(.*\/job\/[^/]+)\/(\d{1,16})(?:\/.*)?$/)
  const number = positiveSafeInt(m == null ? undefined : Number(m[2]))
  if (m == null || number == null) return undefined
  const runUrl = isHttpUrl(url) ? url.slice(0, url.indexOf(path)) + `${m[1]}/${number}/` : undefined
  return { number, job: jobNameFromUrl(m[1]), ...(runUrl == null ? {} : { runUrl }) }
}

/**
 * Where an update for (planId, buildIndex) belongs: that build, unless it has a Jenkins run and the
 * update names another run of its job; then the build of that run (discovery's import, or one
 * recorded now under the same unique (plan, instance, job, number) key, so discovery never doubles it).
 */
export async function routeToRun (db: Kysely<Database>, planId: number, buildIndex: number,
  detail: Record<string, unknown> | undefined): Promise<Target> {
  const named = namedRun(detail)
  if (named == null) return { planId, buildIndex }
  let build: TrackedBuild
  try {
    build = await findBuild(db, planId, buildIndex)
  } catch {
    return { planId, buildIndex } // the write path answers the unknown build
  }
  if (build.jenkins_build_number == null || build.jenkins_build_number === named.number) return { planId, buildIndex }
  // a URL under another job is not a run of this one: the number alone decides only with the build's own job
  if (typeof detail?.URL === 'string') {
    const job = runOfUrl(detail.URL)?.job
    if (job != null && job !== build.job_name) return { planId, buildIndex }
  }
  const target = await buildOfRun(db, build, named)
  return { planId, buildIndex: target, routed: { buildIndex: target, runNumber: named.number } }
}

async function buildOfRun (
  db: Kysely<Database>,
  original: TrackedBuild,
  run: { number: number, url?: string }
): Promise<number> {
  const find = async (): Promise<number | undefined> =>
    (await findRunBuild(db, original.plan_id, original.jenkins_name, original.job_name, run.number))?.build_index
  const known = await find()
  if (known != null) return known
  await importRun(db, {
    planId: original.plan_id,
    jenkinsName: original.jenkins_name,
    jobName: original.job_name,
    number: run.number,
    queueId: null,
    url: run.url ?? null,
    timestamp: Date.now(),
    cause: rerunCause(original.build_index),
    parameter: []
  })
  // recorded now, or by another process (or discovery) a moment before: the unique key keeps one
  const made = await find()
  if (made == null) throw new Error(`the build of Jenkins run #${run.number} could not be recorded`)
  return made
}
