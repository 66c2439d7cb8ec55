import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { apiError, invalid } from '../errors.js'
import { type JenkinsClient, JenkinsError, type ParameterDefinition } from '../jenkins/client.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { getPlan } from '../repositories/plans.js'
import type { JenkinsParameter } from '../schemas/build.js'

/** Parameters the service always sets itself, so the pipeline can call back. */
export const INJECTED = ['DevOpsPlanID', 'BuildIndex'] as const
const isInjected = (name: string): boolean => (INJECTED as readonly string[]).includes(name)

/** How long a job's definitions are trusted: a job edited in Jenkins is seen within a minute. */
export const DEFINITIONS_TTL_MS = 60_000

interface Cached { at: number, defs: ParameterDefinition[] | null }
// per instance (its client) and job; a WeakMap so a registry that goes away takes its cache along
const cache = new WeakMap<JenkinsClient, Map<string, Cached>>()

/** The job's definitions (null: not parameterized), from the cache when younger than 60 s. */
export async function definitionsOf (
  jenkins: JenkinsClient,
  jobName: string,
  clock: () => number = Date.now
): Promise<ParameterDefinition[] | null> {
  let perJob = cache.get(jenkins)
  if (perJob == null) cache.set(jenkins, (perJob = new Map()))
  const hit = perJob.get(jobName)
  if (hit != null && clock() - hit.at < DEFINITIONS_TTL_MS) return hit.defs
  const defs = await jenkins.parameterDefinitions(jobName)
  perJob.set(jobName, { at: clock(), defs })
  return defs
}

/** The plan's job and the parameters a form offers for it: the job's own, without the injected ones. */
export async function formParameters (db: Kysely<Database>, registry: JenkinsRegistry, planId: number):
Promise<{ jobName: string, defs: ParameterDefinition[] }> {
  const plan = await getPlan(db, planId)
  if (plan.job_name == null) throw invalid('querystring/DevOpsPlanID: the plan has no JobName')
  const jenkins = registry.client(plan.jenkins_name)
  if (jenkins == null) {
    const which = plan.jenkins_name == null ? '' : ` instance "${plan.jenkins_name}"`
    throw apiError('JenkinsNotConfigured', `Jenkins${which} is not configured on this server`)
  }
  let defs
  try {
    defs = await definitionsOf(jenkins, plan.job_name)
  } catch (err) {
    throw apiError('JenkinsFailed', err instanceof JenkinsError ? err.message : `Jenkins: ${(err as Error).message}`)
  }
  return { jobName: plan.job_name, defs: (defs ?? []).filter((d) => !isInjected(d.name)) }
}

/** Jenkins refused a trigger: the job may have changed, so the next Build/add reads its definitions again. */
export function forgetDefinitions (jenkins: JenkinsClient, jobName: string): void {
  cache.get(jenkins)?.delete(jobName)
}

/** What Build/add sends and stores for a job with these definitions. */
export interface Resolved {
  /** the values to send (the caller's); null = a job without parameters (`POST job/…/build`) */
  send: Array<{ name: string, value: string }> | null
  /** the effective values before DevOpsPlanID/BuildIndex: the caller's, then the defaults */
  effective: JenkinsParameter[]
  /** false when the job does not declare DevOpsPlanID and BuildIndex: callbacks cannot be matched by them */
  matchable: boolean
}

/**
 * Checks the caller's parameters against the definitions: an undeclared name or a choice outside its
 * list is 1001 (Jenkins would drop the one silently and fail on the other). Missing ones take the
 * job's default; a password without a value is left to Jenkins and never stored.
 */
export function resolveParameters (
  jobName: string,
  defs: ParameterDefinition[] | null,
  given: JenkinsParameter[]
): Resolved {
  const caller = given.filter((p) => !isInjected(p.name))
  const declared = (defs ?? []).filter((d) => !isInjected(d.name))
  for (const p of caller) {
    const def = declared.find((d) => d.name === p.name)
    if (def == null) {
      throw invalid(
        declared.length === 0
          ? `body/Parameter "${p.name}": job "${jobName}" declares no parameters`
          : `body/Parameter "${p.name}" is not a parameter of job "${jobName}"; it declares: ` +
            `${declared.map((d) => d.name).join(', ')}`
      )
    }
    if (def.type === 'choice' && !def.choices.includes(p.value)) {
      throw invalid(`body/Parameter "${p.name}" must be one of: ${def.choices.join(', ')}`)
    }
  }
  const effective: JenkinsParameter[] = caller.map((p) => {
    const def = declared.find((d) => d.name === p.name)
    // Jenkins reads a boolean with Boolean.parseBoolean
    return { name: p.name, value: def?.type === 'boolean' ? String(p.value.toLowerCase() === 'true') : p.value }
  })
  for (const d of declared) {
    if (effective.some((p) => p.name === d.name) || d.type === 'password' || d.default == null) continue
    effective.push({ name: d.name, value: d.default })
  }
  const names = new Set((defs ?? []).map((d) => d.name))
  return {
    send: defs == null ? null : caller,
    effective,
    matchable: defs == null ? false : INJECTED.every((n) => names.has(n))
  }
}
