import Jenkins from 'jenkins'
import { errorCode } from '../lib/error-code.js'

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

/** Jenkins refused or did not answer; `message` says which, for the client's Description. */
export class JenkinsError extends Error {
  constructor (message: string, readonly statusCode?: number) { super(message) }
}

interface ClientError extends Error {
  statusCode?: number
  notFound?: boolean
  code?: string
  res?: { headers?: Record<string, string | undefined> }
}

export interface QueueItemState {
  cancelled: boolean
  executable: { number: number, url: string } | null
}

export interface BuildState {
  number: number
  url: string
  building: boolean
  result: string | null
  /** ms: when the build was created */
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
  edges?: Array<{ id: string }>
}

export class JenkinsClient {
  readonly baseUrl: string
  /** Jenkins requests made so far (for the poller's report and the benchmarks) */
  requests = 0
  /** requests by outcome (ok, client_error, server_error, timeout, unreachable), read by /metrics */
  readonly outcomes: Record<string, number> = {}
  private readonly auth: string | undefined
  private readonly plain: Jenkins
  private readonly withCrumb: Jenkins

  constructor (readonly opts: JenkinsOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '')
    const headers: Record<string, string> = {}
    if (opts.user != null && opts.token != null) {
      headers.authorization = 'Basic ' + Buffer.from(`${opts.user}:${opts.token}`).toString('base64')
    }
    this.auth = headers.authorization
    const common = { baseUrl: this.baseUrl, headers, timeout: opts.timeoutMs }
    this.plain = new Jenkins({ ...common, crumbIssuer: false } as ConstructorParameters<typeof Jenkins>[0])
    this.withCrumb = new Jenkins({ ...common, crumbIssuer: true } as ConstructorParameters<typeof Jenkins>[0])
  }

  /** Queues `jobName` (folders as `a/b/job`) with string parameters; resolves to the queue item. */
  async trigger (jobName: string, parameters: Record<string, string>): Promise<TriggerResult> {
    const call = async (client: Jenkins): Promise<TriggerResult> => {
      this.requests++
      const id = await client.job.build({ name: jobName, parameters }) as number | undefined
      return { queueId: Number.isSafeInteger(id) ? id as number : null, reusedQueueItem: false }
    }
    try {
      try {
        return await call(this.plain)
      } catch (err) {
        if ((err as ClientError).statusCode !== 403) throw err
        return await call(this.withCrumb)  // password auth: Jenkins wants a CSRF crumb
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

  /** The queue item: cancelled, or the build it became (null while still waiting or just leaving). */
  async queueItem (id: number): Promise<QueueItemState> {
    const item = await this.getJson(`/queue/item/${id}/api/json?tree=cancelled,executable[number,url]`, `queue item ${id}`) as Partial<QueueItemState>
    return { cancelled: item.cancelled === true, executable: item.executable ?? null }
  }

  /** Finds the build a queue item became, once the item itself is gone (5 minutes after it left). */
  async buildByQueueId (jobName: string, queueId: number): Promise<{ number: number, url: string } | null> {
    const job = await this.getJson(`${jobPath(jobName)}/api/json?tree=builds[number,queueId,url]{0,100}`, `job "${jobName}"`) as
      { builds?: Array<{ number: number, queueId?: number, url: string }> }
    const found = job.builds?.find((b) => b.queueId === queueId)
    return found == null ? null : { number: found.number, url: found.url }
  }

  async build (jobName: string, number: number): Promise<BuildState> {
    return await this.getJson(`${jobPath(jobName)}/${number}/api/json?tree=number,url,building,result,timestamp,duration,queueId`,
      `build ${jobName} #${number}`) as BuildState
  }

  /** Stages and run status in one call (Pipeline: Stage View); null for jobs without it (freestyle). */
  async describe (jobName: string, number: number): Promise<WfapiRun | null> {
    try {
      return await this.getJson(`${jobPath(jobName)}/${number}/wfapi/describe`, `build ${jobName} #${number}`) as WfapiRun
    } catch (err) {
      if (err instanceof JenkinsError && err.statusCode === 404) return null
      throw err
    }
  }

  /** Blue Ocean's stage graph (edges = successors); null when Blue Ocean is not installed. */
  async blueNodes (jobName: string, number: number): Promise<BlueNode[] | null> {
    const pipelines = jobName.split('/').map((n) => `pipelines/${encodeURIComponent(n)}`).join('/')
    try {
      return await this.getJson(`/blue/rest/organizations/jenkins/${pipelines}/runs/${number}/nodes/`, `Blue Ocean nodes of ${jobName} #${number}`) as BlueNode[]
    } catch (err) {
      if (err instanceof JenkinsError && err.statusCode === 404) return null
      throw err
    }
  }

  /** Takes a waiting item out of the queue; false when it is no longer there (it started, or is gone). */
  async cancelQueueItem (id: number): Promise<boolean> {
    const res = await this.request('POST', `/queue/cancelItem?id=${id}`, `queue item ${id}`, [404])
    return res.status !== 404
  }

  /** Aborts a running build. */
  async stopBuild (jobName: string, number: number): Promise<void> {
    await this.request('POST', `${jobPath(jobName)}/${number}/stop`, `build ${jobName} #${number}`)
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
  private async request (method: 'GET' | 'POST', path: string, what: string, okStatuses: number[] = []): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.auth != null) headers.authorization = this.auth
    const send = async (extra: Record<string, string> = {}): Promise<Response> => {
      this.requests++
      const count = (outcome: string): void => { this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1 }
      try {
        const res = await fetch(this.baseUrl + path, {
          method, headers: { ...headers, ...extra }, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs)
        })
        count(res.status >= 500 ? 'server_error' : res.status >= 400 ? 'client_error' : 'ok')
        return res
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } }
        count(e.name === 'TimeoutError' ? 'timeout' : 'unreachable')
        if (e.name === 'TimeoutError') throw new JenkinsError(`Jenkins did not answer within ${this.opts.timeoutMs} ms`)
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

/** "a/b c/Test" → "/job/a/job/b%20c/job/Test" */
export function jobPath (jobName: string): string {
  return jobName.split('/').map((n) => `/job/${encodeURIComponent(n)}`).join('')
}

export function queueIdFromLocation (location: string | undefined): number | null {
  const m = location?.match(/\/queue\/item\/(\d+)\/?$/)
  return m == null ? null : Number(m[1])
}
