import type Jenkins from 'jenkins'
import { errorCode } from '../lib/error-code.js'
import { JenkinsError } from './error.js'
import { jobPath, orNull404, queueIdFromLocation } from './urls.js'

// Our one door to Jenkins. The `jenkins` npm client (the user's choice) triggers builds; its traps,
// from docs/jenkins-contract.md §7, are handled here so nothing else has to know them:
// - job.build(name, params) treats params as options: always call job.build({ name, parameters }).
// - it has no default timeout: every call passes ours.
// - it fetches a crumb before every POST and fails when CSRF is off: we send none (API tokens need
//   none) and retry once with a crumb only when Jenkins answers 403 (password auth).
// - a 303 (identical item already waiting) throws; a 404 throws without statusCode.
// The client has no public raw GET (wfapi, Blue Ocean) and no tree= on queue items, and its
// queue.cancel expects a 302 where Jenkins answers 204; so reads, cancel and stop go through
// request() below: fetch with the same auth, a timeout on every call, and one request counter.

export interface JenkinsOptions {
  /** the instance's name in JENKINS_INSTANCES, or null for the default one */
  name?: string | null
  url: string
  user?: string
  token?: string
  timeoutMs: number
}

export interface TriggerResult {
  /** queue item id from the Location header; null when Jenkins gave none (302 to the job page) */
  queueId: number | null
  /** set when Jenkins reused an identical waiting item instead of queueing a new one */
  reusedQueueItem: boolean
}

export { JenkinsError }

interface ClientError extends Error {
  statusCode?: number
  notFound?: boolean
  code?: string
  res?: { headers?: Record<string, string | undefined> }
}

export interface QueueItemState {
  cancelled: boolean
  executable: { number: number, url: string } | null
  /** Queue.Item.getWhy(): why it waits (null once it left the queue) */
  why: string | null
  /** BuildableItem.isStuck() */
  stuck: boolean
  /** the task's absolute URL: a queue id may belong to another job after a crash rolled ids back */
  taskUrl: string | null
}

export interface RunState {
  /** WorkflowRun for a Pipeline; only Pipelines have stage APIs */
  _class?: string
  number: number
  url: string
  building: boolean
  result: string | null
  /** ms: when the run was created */
  timestamp: number
  /** ms; 0 while building */
  duration: number
  queueId?: number
}

export interface WfapiStage {
  id: string
  name: string
  status: string
  startTimeMillis: number
  durationMillis: number
  error?: { message?: string, type?: string }
}

export interface WfapiRun {
  status: string
  startTimeMillis: number
  stages: WfapiStage[]
}

export interface BlueNode {
  id: string
  displayName: string
  state: string | null
  result?: string | null
  type?: string
  startTime?: string | null
  durationInMillis?: number | null
  edges?: Array<{ id: string }>
}

/** A stage of Pipeline Graph View's `stages/tree` (docs/jenkins-contract.md §5.2). */
export interface GraphStage {
  id: string
  name: string
  state: string
  type?: string
  startTimeMillis?: number
  totalDurationMillis?: number
  causeOfBlockage?: string
  children?: GraphStage[]
}

export interface GraphTree {
  stages: GraphStage[]
  /** execution.isComplete(): the result itself is in the run's api/json */
  complete: boolean
}

export const WORKFLOW_RUN = 'org.jenkinsci.plugins.workflow.job.WorkflowRun'

/** One `hudson.model.*ParameterDefinition`; `default` null when it has none (or is a password). */
export interface ParameterDefinition {
  name: string
  type: 'string' | 'text' | 'boolean' | 'choice' | 'password' | 'other'
  description: string
  choices: string[]
  default: string | null
}

/** A run as discovery reads it (actions: CauseAction, ParametersAction, and others as {}). */
export interface RecentRun {
  number: number
  queueId?: number
  url: string
  timestamp: number
  building: boolean
  actions?: Array<{ causes?: Array<{ shortDescription?: string }>, parameters?: Array<{ name: string, value?: unknown }> } | null>
}

interface RawParameterDefinition {
  name: string
  type?: string
  description?: string | null
  choices?: unknown[]
  defaultParameterValue?: { value?: unknown } | null
}

const PARAMETER_TYPES: Record<string, ParameterDefinition['type']> = {
  StringParameterDefinition: 'string',
  TextParameterDefinition: 'text',
  BooleanParameterDefinition: 'boolean',
  ChoiceParameterDefinition: 'choice',
  PasswordParameterDefinition: 'password'
}

export class JenkinsClient {
  readonly baseUrl: string
  /** Jenkins requests made so far (for the poller's report and the benchmarks) */
  requests = 0
  /** requests by outcome (ok, client_error, server_error, timeout, unreachable), read by /metrics */
  readonly outcomes: Record<string, number> = {}
  private readonly auth: string | undefined
  private readonly headers: Record<string, string>
  // the `jenkins` library is loaded on the first trigger, not at start (issue 14: start-up time and memory)
  private clients?: Promise<{ plain: Jenkins, withCrumb: Jenkins }>

  constructor (readonly opts: JenkinsOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '')
    const headers: Record<string, string> = {}
    if (opts.user != null && opts.token != null) {
      headers.authorization = 'Basic ' + Buffer.from(`${opts.user}:${opts.token}`).toString('base64')
    }
    this.auth = headers.authorization
    this.headers = headers
  }

  private async jenkinsClients (): Promise<{ plain: Jenkins, withCrumb: Jenkins }> {
    this.clients ??= import('jenkins').then(({ default: JenkinsLib }) => {
      const common = { baseUrl: this.baseUrl, headers: this.headers, timeout: this.opts.timeoutMs }
      return {
        plain: new JenkinsLib({ ...common, crumbIssuer: false } as ConstructorParameters<typeof Jenkins>[0]),
        withCrumb: new JenkinsLib({ ...common, crumbIssuer: true } as ConstructorParameters<typeof Jenkins>[0])
      }
    })
    return await this.clients
  }

  /** Queues `jobName` (folders as `a/b/job`) with string parameters (null: a job without parameters, `POST job/…/build`); resolves to the queue item. */
  async trigger (jobName: string, parameters: Record<string, string> | null): Promise<TriggerResult> {
    const call = async (client: Jenkins): Promise<TriggerResult> => {
      this.requests++
      const id = await client.job.build(parameters == null ? { name: jobName } : { name: jobName, parameters }) as number | undefined
      return { queueId: Number.isSafeInteger(id) ? id as number : null, reusedQueueItem: false }
    }
    const { plain, withCrumb } = await this.jenkinsClients()
    try {
      try {
        return await call(plain)
      } catch (err) {
        if ((err as ClientError).statusCode !== 403) throw err
        return await call(withCrumb)  // password auth: Jenkins wants a CSRF crumb
      }
    } catch (err) {
      const e = err as ClientError
      if (e.statusCode === 303) {
        const id = queueIdFromLocation(e.res?.headers?.location)
        if (id != null) return { queueId: id, reusedQueueItem: true }
      }
      throw this.explain(e, `job "${jobName}"`)
    }
  }

  /** The job's parameter definitions (ParametersDefinitionProperty); null when the job is not parameterized. */
  async parameterDefinitions (jobName: string): Promise<ParameterDefinition[] | null> {
    const job = await this.getJson(`${jobPath(jobName)}/api/json?tree=property[parameterDefinitions[name,type,description,choices,defaultParameterValue[value]]]`,
      `job "${jobName}"`) as { property?: Array<{ parameterDefinitions?: RawParameterDefinition[] } | null> }
    const defs = job.property?.find((p) => Array.isArray(p?.parameterDefinitions))?.parameterDefinitions
    if (defs == null) return null
    return defs.map((d) => {
      const type = PARAMETER_TYPES[d.type ?? ''] ?? 'other'
      const value = d.defaultParameterValue?.value
      return {
        name: d.name,
        type,
        description: d.description ?? '',
        choices: type === 'choice' && Array.isArray(d.choices) ? d.choices.map(String) : [],
        // a password's default never leaves Jenkins through us
        default: type === 'password' || value == null ? null : String(value)
      }
    })
  }

  /** Discovery's one request per job and tick: the next number and the 20 newest runs with causes and parameters. */
  async recentRuns (jobName: string): Promise<{ nextBuildNumber: number, builds: RecentRun[] }> {
    const job = await this.getJson(`${jobPath(jobName)}/api/json?tree=nextBuildNumber,builds[number,queueId,url,timestamp,building,actions[causes[shortDescription],parameters[name,value]]]{0,20}`,
      `job "${jobName}"`) as { nextBuildNumber?: number, builds?: RecentRun[] }
    return { nextBuildNumber: job.nextBuildNumber ?? 1, builds: job.builds ?? [] }
  }

  /** The queue item: cancelled, the build it became (null while still waiting or just leaving), why it waits, its job. */
  async queueItem (id: number): Promise<QueueItemState> {
    const item = await this.getJson(`/queue/item/${id}/api/json?tree=cancelled,executable[number,url],why,stuck,task[url]`, `queue item ${id}`) as
      { cancelled?: boolean, executable?: { number: number, url: string } | null, why?: string | null, stuck?: boolean, task?: { url?: string } }
    return { cancelled: item.cancelled === true, executable: item.executable ?? null, why: item.why ?? null, stuck: item.stuck === true, taskUrl: item.task?.url ?? null }
  }

  /** The absolute URL Jenkins gives the job (a queue item's task.url): base + /job/a/job/b/ */
  jobUrl (jobName: string): string {
    return `${this.baseUrl}${jobPath(jobName)}/`
  }

  /** Finds the run a queue item became, once the item itself is gone (5 minutes after it left). */
  async runByQueueId (jobName: string, queueId: number): Promise<{ number: number, url: string } | null> {
    const job = await this.getJson(`${jobPath(jobName)}/api/json?tree=builds[number,queueId,url]{0,100}`, `job "${jobName}"`) as
      { builds?: Array<{ number: number, queueId?: number, url: string }> }
    const found = job.builds?.find((b) => b.queueId === queueId)
    return found == null ? null : { number: found.number, url: found.url }
  }

  async run (jobName: string, number: number): Promise<RunState> {
    return await this.getJson(`${jobPath(jobName)}/${number}/api/json?tree=number,url,building,result,timestamp,duration,queueId`,
      `build ${jobName} #${number}`) as RunState
  }

  /** Whether the job still exists (a lost run's job may be gone or renamed). */
  async jobExists (jobName: string): Promise<boolean> {
    const res = await this.request('GET', `${jobPath(jobName)}/api/json?tree=name`, `job "${jobName}"`, [404])
    await res.body?.cancel()
    return res.status !== 404
  }

  /** Pipeline Graph View's stage tree; throws JenkinsError 404 when the plugin or the run is missing. */
  async stagesTree (jobName: string, number: number): Promise<GraphTree> {
    const body = await this.getJson(`${jobPath(jobName)}/${number}/stages/tree`, `stages of ${jobName} #${number}`) as { data?: Partial<GraphTree> }
    return { stages: body.data?.stages ?? [], complete: body.data?.complete === true }
  }

  /** Stages and run status in one call (Pipeline: Stage View); throws JenkinsError 404 when the plugin or the run is missing. */
  async describe (jobName: string, number: number): Promise<WfapiRun> {
    return await this.getJson(`${jobPath(jobName)}/${number}/wfapi/describe`, `build ${jobName} #${number}`) as WfapiRun
  }

  /** Blue Ocean's stage graph (edges = successors); null when Blue Ocean is not installed. */
  async blueNodes (jobName: string, number: number): Promise<BlueNode[] | null> {
    const pipelines = jobName.split('/').map((n) => `pipelines/${encodeURIComponent(n)}`).join('/')
    return await orNull404(this.getJson(`/blue/rest/organizations/jenkins/${pipelines}/runs/${number}/nodes/`,
      `Blue Ocean nodes of ${jobName} #${number}`) as Promise<BlueNode[]>)
  }

  /** The cheapest authenticated call (`/api/json?tree=mode`): does the instance answer, with our credentials? */
  async ping (timeoutMs: number): Promise<void> {
    const res = await this.request('GET', '/api/json?tree=mode', 'Jenkins', [], timeoutMs)
    await res.body?.cancel()
  }

  /**
   * Takes a waiting item out of the queue. 'left': it already left (Queue.doCancelItem answers 500
   * "Could not cancel run for id N" for a LeftItem or a pending item: it started, or is starting);
   * 'unknown': Jenkins does not know the id (404: never, or more than 5 minutes ago).
   */
  async cancelQueueItem (id: number): Promise<'cancelled' | 'left' | 'unknown'> {
    const res = await this.request('POST', `/queue/cancelItem?id=${id}`, `queue item ${id}`, [404, 500])
    const text = res.status === 500 ? await res.text() : (await res.body?.cancel(), '')
    if (res.status === 404) return 'unknown'
    if (res.status === 500) {
      if (/Could not cancel/i.test(text)) return 'left'
      throw new JenkinsError(`Jenkins answered 500 for queue item ${id}: ${text.slice(0, 200)}`, 500)
    }
    return 'cancelled'
  }

  /** Aborts a run; false when Jenkins does not have it (404). */
  async stopRun (jobName: string, number: number): Promise<boolean> {
    const res = await this.request('POST', `${jobPath(jobName)}/${number}/stop`, `build ${jobName} #${number}`, [404])
    await res.body?.cancel()
    return res.status !== 404
  }

  private async getJson (path: string, what: string): Promise<unknown> {
    const res = await this.request('GET', path, what)
    try {
      return await res.json()
    } catch {
      throw new JenkinsError(`Jenkins answered ${what} with something that is not JSON`)
    }
  }

  /** One HTTP call with auth and timeout; POSTs retry once with a crumb on 403 (password auth). */
  private async request (method: 'GET' | 'POST', path: string, what: string, okStatuses: number[] = [], timeoutMs = this.opts.timeoutMs): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.auth != null) headers.authorization = this.auth
    const send = async (extra: Record<string, string> = {}): Promise<Response> => {
      this.requests++
      const count = (outcome: string): void => { this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1 }
      try {
        const res = await fetch(this.baseUrl + path, {
          method, headers: { ...headers, ...extra }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs)
        })
        count(res.status >= 500 ? 'server_error' : res.status >= 400 ? 'client_error' : 'ok')
        return res
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } }
        count(e.name === 'TimeoutError' ? 'timeout' : 'unreachable')
        if (e.name === 'TimeoutError') throw new JenkinsError(`Jenkins did not answer within ${timeoutMs} ms`)
        throw new JenkinsError(`Jenkins unreachable (${errorCode(e)})`) // never the message: it can quote the URL
      }
    }
    let res = await send()
    if (res.status === 403 && method === 'POST') res = await send(await this.crumbHeaders())
    if (res.ok || (res.status >= 300 && res.status < 400) || okStatuses.includes(res.status)) return res
    await res.body?.cancel()
    throw this.explain({ name: 'Error', message: res.statusText, statusCode: res.status }, what)
  }

  private async crumbHeaders (): Promise<Record<string, string>> {
    this.requests++
    const res = await fetch(`${this.baseUrl}/crumbIssuer/api/json`, {
      headers: this.auth == null ? {} : { authorization: this.auth }, signal: AbortSignal.timeout(this.opts.timeoutMs)
    })
    if (!res.ok) return {}
    const crumb = await res.json() as { crumb: string, crumbRequestField: string }
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    return { [crumb.crumbRequestField]: crumb.crumb, ...(cookie === '' ? {} : { cookie }) }
  }

  /** Turns a client/network error into one sentence naming what went wrong. */
  explain (e: ClientError, what: string): JenkinsError {
    if (e.notFound === true || e.statusCode === 404) return new JenkinsError(`Jenkins: ${what} not found`, 404)
    if (e.statusCode === 401) return new JenkinsError('Jenkins rejected the credentials (401)', 401)
    if (e.statusCode === 403) return new JenkinsError(`Jenkins refused access to ${what} (403)`, 403)
    if (e.code === 'ETIMEDOUT' || /time(d)? ?out/i.test(e.message)) {
      return new JenkinsError(`Jenkins did not answer within ${this.opts.timeoutMs} ms`)
    }
    if (e.statusCode != null) return new JenkinsError(`Jenkins answered ${e.statusCode} for ${what}: ${e.message}`, e.statusCode)
    return new JenkinsError(`Jenkins unreachable (${errorCode(e)})`)
  }
}
