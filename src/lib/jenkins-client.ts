import Jenkins from 'jenkins'

// Our one door to Jenkins. The `jenkins` npm client (the user's choice) triggers builds; its traps,
// from ../shared/jenkins-contract.md §7, are handled here so nothing else has to know them:
// - job.build(name, params) treats params as options: always call job.build({ name, parameters }).
// - it has no default timeout: every call passes ours.
// - it fetches a crumb before every POST and fails when CSRF is off: we send none (API tokens need
//   none) and retry once with a crumb only when Jenkins answers 403 (password auth).
// - a 303 (identical item already waiting) throws; a 404 throws without statusCode.

export interface JenkinsOptions {
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

export class JenkinsClient {
  readonly baseUrl: string
  private readonly plain: Jenkins
  private readonly withCrumb: Jenkins

  constructor (readonly opts: JenkinsOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '')
    const headers: Record<string, string> = {}
    if (opts.user != null && opts.token != null) {
      headers.authorization = 'Basic ' + Buffer.from(`${opts.user}:${opts.token}`).toString('base64')
    }
    const common = { baseUrl: this.baseUrl, headers, timeout: opts.timeoutMs }
    this.plain = new Jenkins({ ...common, crumbIssuer: false } as ConstructorParameters<typeof Jenkins>[0])
    this.withCrumb = new Jenkins({ ...common, crumbIssuer: true } as ConstructorParameters<typeof Jenkins>[0])
  }

  /** Queues `jobName` (folders as `a/b/job`) with string parameters; resolves to the queue item. */
  async trigger (jobName: string, parameters: Record<string, string>): Promise<TriggerResult> {
    const call = async (client: Jenkins): Promise<TriggerResult> => {
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
      throw this.describe(e, `job "${jobName}"`)
    }
  }

  /** Turns a client/network error into one sentence naming what went wrong. */
  describe (e: ClientError, what: string): JenkinsError {
    if (e.notFound === true || e.statusCode === 404) return new JenkinsError(`Jenkins: ${what} not found`, 404)
    if (e.statusCode === 401) return new JenkinsError('Jenkins rejected the credentials (401)', 401)
    if (e.statusCode === 403) return new JenkinsError(`Jenkins refused access to ${what} (403)`, 403)
    if (e.code === 'ETIMEDOUT' || /time(d)? ?out/i.test(e.message)) {
      return new JenkinsError(`Jenkins did not answer within ${this.opts.timeoutMs} ms`)
    }
    if (e.statusCode != null) return new JenkinsError(`Jenkins answered ${e.statusCode} for ${what}: ${e.message}`, e.statusCode)
    return new JenkinsError(`Jenkins unreachable: ${e.code ?? e.message}`)
  }
}

export function queueIdFromLocation (location: string | undefined): number | null {
  const m = location?.match(/\/queue\/item\/(\d+)\/?$/)
  return m == null ? null : Number(m[1])
}
