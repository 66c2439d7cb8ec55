import { AsyncLocalStorage } from 'node:async_hooks'
import type Jenkins from 'jenkins'
import { errorCode } from '../lib/error-code.js'
import { withoutCountdown } from '../lib/queue-reason.js'
import { isHttpUrl, plausibleTimeMs, positiveSafeInt } from '../lib/bounds.js'
import { JenkinsError } from './error.js'
import { blueRunPath, jobPath, orNull404, queueIdFromLocation } from './urls.js'

// The `tree` parameters of the job reads: only the fields used, so Jenkins serializes little
const PARAMETERS_TREE = 'property[parameterDefinitions[name,type,description,choices,defaultParameterValue[value]]]'
const RUN_FIELDS = 'number,queueId,url,timestamp,building,actions[causes[shortDescription],parameters[name,value]]'
/** Job.getNewBuilds: the `builds` Jenkins exports are its newest 100 runs */
const NEW_BUILDS = 100

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

/**
 * Pipeline Graph View's run action by release (docs/jenkins-contract.md §5.2): `stages` since 777
 * (2026-02), `pipeline-overview` 520–776, `pipeline-console` 483–519; ≤ 482 also `pipeline-graph`.
 * Each serves the same `tree` web method with the same envelope. Probed in this order.
 */
export const GRAPH_VIEW_PATHS = ['stages', 'pipeline-overview', 'pipeline-console', 'pipeline-graph'] as const
export type GraphViewPath = typeof GRAPH_VIEW_PATHS[number]

/** Blue Ocean pages `nodes` at 100 (PagedResponse.DEFAULT_LIMIT): asked for more than a build may hold */
export const BLUE_OCEAN_LIMIT = 10_000

export interface TriggerResult {
  /** queue item id from the Location header; null when Jenkins gave none (302 to the job page) */
  queueId: number | null
  /** set when Jenkins reused an identical waiting item instead of queueing a new one */
  reusedQueueItem: boolean
}

/** One trigger request: the headers it sends, then what it was answered. */
interface TriggerCall {
  headers: Record<string, string>
  answer?: { status?: number, location?: string }
}

export { JenkinsError }

/** The JobName names a folder, a multibranch project or an organization folder: nothing to build. */
export class NotAJob extends JenkinsError {
  constructor (readonly jobName: string, readonly kind: 'folder' | 'multibranch project' | 'organization folder') {
    super(kind === 'folder'
      ? `"${jobName}" is a folder in Jenkins, not a job: name the job in it (folder/job)`
      : kind === 'organization folder'
        ? `"${jobName}" is an organization folder in Jenkins: name a branch of one of its repositories, as the ` +
          `pipeline's JOB_NAME spells it (${jobName}/<repository>/<branch>, a branch feature/x as …/feature%2Fx)`
        : `"${jobName}" is a multibranch project in Jenkins: name one of its branches, as the pipeline's ` +
          `JOB_NAME spells it (${jobName}/<branch>, a branch feature/x as ${jobName}/feature%2Fx)`)
  }
}

/** What a container item's `_class` says it is (cloudbees-folder, branch-api); undefined for a job. */
function containerKind (cls: string | undefined): NotAJob['kind'] | undefined {
  if (cls == null) return undefined
  if (/OrganizationFolder$/.test(cls)) return 'organization folder'
  if (/MultiBranchProject$/.test(cls)) return 'multibranch project'
  if (/\.Folder$/.test(cls)) return 'folder'
  return undefined
}

interface ClientError extends Error {
  statusCode?: number
  notFound?: boolean
  code?: string
  res?: { headers?: Record<string, string | undefined> }
}

export interface QueueItemState {
  cancelled: boolean
  /** the run it became; `url` null when Jenkins gave none that is http(s) */
  executable: { number: number, url: string | null } | null
  /** Queue.Item.getWhy() without its countdown tail: why it waits (null once it left the queue) */
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
  /** a stage the plugin made up (`Checkout SCM`, the placeholder) */
  synthetic?: boolean
  /** "System Generated": the run's start shown as a stage while no stage exists yet
   * (PipelineNodeTreeScanner.getStageMapping)
   */
  placeholder?: boolean
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
  actions?: Array<{
    causes?: Array<{ shortDescription?: string }>
    parameters?: Array<{ name: string, value?: unknown }>
  } | null>
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
  // the `jenkins` library is loaded on the first trigger, not at start (start-up time and memory)
  private clients?: Promise<{ plain: Jenkins, withCrumb: Jenkins }>
  /**
   * the trigger under way: its headers (traceparent; the library takes headers only per client) and, once it is
   * answered, its status and Location (the library reads a queue id from any Location, a login proxy's too)
   */
  private readonly triggerCall = new AsyncLocalStorage<TriggerCall>()
  /** the root URLs this instance puts in the URLs it returns (Jenkins URL setting, a reverse proxy's), learnt as they
   * come
   */
  readonly rootUrls = new Set<string>()
  /** the graph-view URL that answered last on this instance; null: probe them in order */
  graphViewPath: GraphViewPath | null = null
  /**
   * a trigger or a read of the job's parameters answered 503 (Jenkins starting: "Jenkins is getting ready to work")
   * is retried this long, this often
   */
  startRetry = { totalMs: 30_000, delayMs: 2_000 }

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
      const clients = {
        plain: new JenkinsLib({ ...common, crumbIssuer: false } as ConstructorParameters<typeof Jenkins>[0]),
        // our own crumb code: the library copies the session cookie only for hudson.security.csrf.DefaultCrumbIssuer,
        // so a session-bound issuer of another class (Strict Crumb Issuer) would refuse the trigger
        withCrumb: new JenkinsLib({
          ...common,
          crumbIssuer: async () => (await this.crumb()) ?? {}
        } as unknown as ConstructorParameters<typeof Jenkins>[0])
      }
      for (const client of Object.values(clients)) this.addCallHeaders(client)
      return clients
    })
    return await this.clients
  }

  /**
   * The library's request hooks (papi `onCreate`, where its crumb code adds headers) add this call's headers and,
   * on the answer (`onResponse`), note its status and Location for the call.
   */
  private addCallHeaders (client: Jenkins): void {
    type Ctx = {
      opts: { headers?: Record<string, string> }
      call?: TriggerCall
      res?: { statusCode?: number, headers?: Record<string, string | undefined> }
    }
    const papi = client as unknown as { _ext: (event: string, hook: (ctx: Ctx, next: () => void) => void) => void }
    papi._ext('onCreate', (ctx, next) => {
      const call = this.triggerCall.getStore()
      if (call != null) ctx.opts.headers = { ...ctx.opts.headers, ...call.headers }
      ctx.call = call // kept on the request: the answer comes outside this async context
      next()
    })
    papi._ext('onResponse', (ctx, next) => {
      if (ctx.call != null) ctx.call.answer = { status: ctx.res?.statusCode, location: ctx.res?.headers?.location }
      next()
    })
  }

  /**
   * Queues `jobName` (folders as `a/b/job`) with string parameters (null: a job without parameters,
   * `POST job/…/build`); resolves to the queue item. `headers` go with the trigger request (the trace context).
   */
  async trigger (
    jobName: string,
    parameters: Record<string, string> | null,
    headers: Record<string, string> = {}
  ): Promise<TriggerResult> {
    const call = async (client: Jenkins): Promise<TriggerResult> => {
      this.requests++
      const opts = parameters == null ? { name: jobName } : { name: jobName, parameters }
      const sent: TriggerCall = { headers }
      const id = (await this.triggerCall.run(sent, async () => await client.job.build(opts))) as number | undefined
      const { status, location } = sent.answer ?? {}
      // the library lets a 302 through as success
      if (status != null && status >= 300 && status < 400) return this.triggerRedirect(jobName, status, location)
      return { queueId: Number.isSafeInteger(id) ? (id as number) : null, reusedQueueItem: false }
    }
    const { plain, withCrumb } = await this.jenkinsClients()
    const once = async (): Promise<TriggerResult> => {
      try {
        return await call(plain)
      } catch (err) {
        if ((err as ClientError).statusCode !== 403) throw err
        return await call(withCrumb) // password auth: Jenkins wants a CSRF crumb
      }
    }
    try {
      // a 503 queued nothing, so asking again is safe
      return await this.whileStarting(once)
    } catch (err) {
      if (err instanceof JenkinsError) throw err // already explained (a redirect the library let through)
      const e = err as ClientError
      if (e.statusCode != null && e.statusCode >= 300 && e.statusCode < 400) {
        return this.triggerRedirect(jobName, e.statusCode, e.res?.headers?.location)
      }
      throw this.explain(e, `job "${jobName}"`)
    }
  }

  /**
   * A trigger answered 3xx: a queue item of this Jenkins (303: an identical item was waiting) is queued; the job's
   * own page is Jenkins' "nothing queued" (sendRedirect(".") when the queue refused the item); anything else is a
   * login proxy or an http→https rule, and nothing reached Jenkins.
   */
  private triggerRedirect (jobName: string, status: number, location: string | undefined): TriggerResult {
    const target = location == null ? null : this.urlOnThisJenkins(location)
    const queueId = queueIdFromLocation(target?.pathname)
    if (queueId != null) return { queueId, reusedQueueItem: status === 303 }
    if (target != null && target.pathname.replace(/\/+$/, '').endsWith(jobPath(jobName))) {
      return { queueId: null, reusedQueueItem: false }
    }
    throw this.redirected(status, location ?? null, `the trigger of job "${jobName}"`)
  }

  /** `location` resolved, when it is on this Jenkins: the URL we call it by, or a root URL it put in its answers. */
  private urlOnThisJenkins (location: string): URL | null {
    try {
      const url = new URL(location, this.baseUrl + '/')
      const origins = [this.baseUrl, ...this.rootUrls].map((u) => new URL(u).origin)
      return origins.includes(url.origin) ? url : null
    } catch {
      return null
    }
  }

  /** Calls `call` again while Jenkins answers 503 (every URL does while it starts), for up to startRetry.totalMs. */
  private async whileStarting<T> (call: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.startRetry.totalMs
    for (;;) {
      try {
        return await call()
      } catch (err) {
        if ((err as ClientError).statusCode !== 503 || Date.now() + this.startRetry.delayMs > giveUpAt) throw err
        await new Promise((resolve) => setTimeout(resolve, this.startRetry.delayMs))
      }
    }
  }

  /**
   * The job's parameter definitions (ParametersDefinitionProperty); null when the job is not
   * parameterized. Throws NotAJob for a folder or multibranch project, and on 404 names the
   * spelling Jenkins uses when the name went through a multibranch project as if it were folders.
   */
  async parameterDefinitions (jobName: string): Promise<ParameterDefinition[] | null> {
    let job: { _class?: string; property?: Array<{ parameterDefinitions?: RawParameterDefinition[] } | null> }
    try {
      // Build/add's first read of a job: a Jenkins that is starting gets the same time as the trigger after it
      job = (await this.whileStarting(async () => await this.getJson(
        `${jobPath(jobName)}/api/json?tree=${PARAMETERS_TREE}`,
        `job "${jobName}"`
      ))) as typeof job
    } catch (err) {
      if (err instanceof JenkinsError && err.statusCode === 404) throw await this.notFoundHint(jobName, err)
      throw err
    }
    const kind = containerKind(job._class)
    if (kind != null) throw new NotAJob(jobName, kind)
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

  /** A 404 for `a/b/c` where `a` is a multibranch project: its branch is one item named `b%2Fc` (branch-api
   * NameEncoder).
   */
  private async notFoundHint (jobName: string, notFound: JenkinsError): Promise<JenkinsError> {
    // copied from the browser's address bar: the URL encodes the item name once more (%2F → %252F)
    if (/%25[0-9A-Fa-f]{2}/.test(jobName)) {
      const spelled = jobName.replace(/%25([0-9A-Fa-f]{2})/g, '%$1')
      return new JenkinsError(`${notFound.message}: "${jobName}" looks copied from a Jenkins URL, which encodes ` +
        `names once more; the pipeline's JOB_NAME spells it "${spelled}"`, 404)
    }
    const parts = jobName.split('/')
    for (let i = 1; i < parts.length - 1; i++) {
      const prefix = parts.slice(0, i).join('/')
      const item = (await this.getJson(`${jobPath(prefix)}/api/json?tree=_class`, `job "${prefix}"`).catch(
        () => null
      )) as { _class?: string } | null
      if (item == null) break
      if (containerKind(item._class) === 'multibranch project') {
        // branch-api NameEncoder.encode
        const branch = parts
          .slice(i)
          .join('/')
          .replace(/[#%/?[\]\\]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
        return new JenkinsError(
          `${notFound.message}: "${prefix}" is a multibranch project, and Jenkins names this branch ` +
            `"${prefix}/${branch}" (the pipeline's JOB_NAME)`,
          404
        )
      }
    }
    return notFound
  }

  /**
   * Discovery's request per job and tick: the next number and the newest runs `[from, to)` with causes and parameters.
   * Past the newest 100 they are read from `allBuilds`: Job exports `builds` as getBuilds().limit(100), so
   * `builds{100,120}` is always empty; `allBuilds` (every run, exported only when a tree names it) is not cut.
   */
  async recentRuns (jobName: string, from = 0, to = 20): Promise<{ nextBuildNumber: number, builds: RecentRun[] }> {
    const field = to <= NEW_BUILDS ? 'builds' : 'allBuilds'
    const tree = `nextBuildNumber,${field}[${RUN_FIELDS}]{${from},${to}}`
    const job = (await this.getJson(`${jobPath(jobName)}/api/json?tree=${tree}`, `job "${jobName}"`)) as {
      nextBuildNumber?: number
      builds?: RecentRun[]
      allBuilds?: RecentRun[]
    }
    return { nextBuildNumber: job.nextBuildNumber ?? 1, builds: job[field] ?? [] }
  }

  /**
   * The queue item: cancelled, the build it became (null while still waiting or just leaving), why it waits, its job.
   */
  async queueItem (id: number): Promise<QueueItemState> {
    const item = (await this.getJson(
      `/queue/item/${id}/api/json?tree=cancelled,executable[number,url],why,stuck,task[url]`,
      `queue item ${id}`
    )) as {
      cancelled?: boolean
      executable?: { number: number, url: string } | null
      why?: string | null
      stuck?: boolean
      task?: { url?: string }
    }
    return {
      cancelled: item.cancelled === true,
      executable: this.runRef(item.executable),
      why: item.why == null ? null : withoutCountdown(item.why),
      stuck: item.stuck === true,
      taskUrl: item.task?.url ?? null
    }
  }

  /** The absolute URL Jenkins gives the job (a queue item's task.url): base + /job/a/job/b/ */
  jobUrl (jobName: string): string {
    return `${this.baseUrl}${jobPath(jobName)}/`
  }

  /**
   * Finds the run a queue item became, once the item itself is gone (5 minutes after it left): only a run created
   * at `notBeforeMs` or later, since Jenkins that lost queue.xml numbers its items from 1 again and an older run
   * may carry the same id.
   */
  async runByQueueId (
    jobName: string,
    queueId: number,
    notBeforeMs: number
  ): Promise<{ number: number, url: string | null } | null> {
    const job = (await this.getJson(
      `${jobPath(jobName)}/api/json?tree=builds[number,queueId,url,timestamp]{0,${NEW_BUILDS}}`,
      `job "${jobName}"`
    )) as { builds?: Array<{ number: number, queueId?: number, url: string, timestamp?: number }> }
    // a run whose creation time is no time cannot be shown to be recent enough
    const recent = (b: { timestamp?: number }): boolean => (plausibleTimeMs(b.timestamp) ?? 0) >= notBeforeMs
    return this.runRef(job.builds?.find((b) => b.queueId === queueId && recent(b)))
  }

  /**
   * A run as Jenkins names it, checked: a number that is a positive safe integer, a URL only when
   * http(s) (never `javascript:`); the root URL in front of `/job/` is remembered as this instance's.
   */
  runRef (r: { number?: unknown, url?: unknown } | null | undefined): { number: number, url: string | null } | null {
    const number = positiveSafeInt(r?.number)
    if (r == null || number == null) return null
    const url = isHttpUrl(r.url) ? r.url : null
    const at = url?.indexOf('/job/') ?? -1
    if (url != null && at > 0 && this.rootUrls.size < 16) this.rootUrls.add(url.slice(0, at + 1))
    return { number, url }
  }

  async run (jobName: string, number: number): Promise<RunState> {
    return (await this.getJson(
      `${jobPath(jobName)}/${number}/api/json?tree=number,url,building,result,timestamp,duration,queueId`,
      `build ${jobName} #${number}`
    )) as RunState
  }

  /** Whether the job still exists (a lost run's job may be gone or renamed). */
  async jobExists (jobName: string): Promise<boolean> {
    const res = await this.request('GET', `${jobPath(jobName)}/api/json?tree=name`, `job "${jobName}"`, [404])
    await res.body?.cancel()
    return res.status !== 404
  }

  /**
   * Pipeline Graph View's stage tree, at the URL this instance's release serves (probed in the order of
   * GRAPH_VIEW_PATHS, then remembered); throws JenkinsError 404 when the plugin or the run is missing.
   * `except`: the URL that just answered 404 for a run that exists; the others are probed in order.
   */
  async stagesTree (jobName: string, number: number, except?: GraphViewPath): Promise<GraphTree> {
    const known = except == null ? this.graphViewPath : null
    const paths = known != null ? [known] : GRAPH_VIEW_PATHS.filter((p) => p !== except)
    let missing = new JenkinsError(`Jenkins: stages of ${jobName} #${number} not found`, 404)
    for (const path of paths) {
      try {
        const body = (await this.getJson(
          `${jobPath(jobName)}/${number}/${path}/tree`,
          `stages of ${jobName} #${number}`
        )) as { data?: Partial<GraphTree> }
        this.graphViewPath = path
        return { stages: body.data?.stages ?? [], complete: body.data?.complete === true }
      } catch (err) {
        if (!(err instanceof JenkinsError) || err.statusCode !== 404) throw err
        missing = err
      }
    }
    // a 404 at the remembered URL is most often a run that is gone: the follower, which knows whether the run
    // exists, asks again with `except` (the plugin updated) or tells forgetGraphView (removed)
    throw missing
  }

  /** Graph view answered 404 for a run that exists: updated or removed; the next call probes its URLs from the top. */
  forgetGraphView (): void {
    this.graphViewPath = null
  }

  /** Stages and run status in one call (Pipeline: Stage View); throws JenkinsError 404 when the plugin or the run is
   * missing.
   */
  async describe (jobName: string, number: number): Promise<WfapiRun> {
    return (await this.getJson(
      `${jobPath(jobName)}/${number}/wfapi/describe`,
      `build ${jobName} #${number}`
    )) as WfapiRun
  }

  /** Blue Ocean's stage graph (edges = successors); null when Blue Ocean is not installed. */
  async blueNodes (jobName: string, number: number): Promise<BlueNode[] | null> {
    // read whole: Blue Ocean pages containers at 100 nodes unless asked for more
    return await orNull404(
      this.getJson(
        `${blueRunPath(jobName, number)}/nodes/?limit=${BLUE_OCEAN_LIMIT}`,
        `Blue Ocean nodes of ${jobName} #${number}`
      ) as Promise<BlueNode[]>
    )
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

  /**
   * Aborts a run; false when Jenkins does not have it (404). Jenkins answers the stop with a
   * redirect back to the run (Executor.doStop → forwardToPreviousPage): only that redirect is
   * success, one elsewhere (a login page in front of Jenkins) is a refusal.
   */
  async stopRun (jobName: string, number: number): Promise<boolean> {
    const what = `build ${jobName} #${number}`
    const res = await this.request('POST', `${jobPath(jobName)}/${number}/stop`, what, [404, 301, 302, 303])
    await res.body?.cancel()
    if (res.status >= 300 && res.status < 400) {
      const target = locationPath(res.headers.get('location'), this.baseUrl)
      const run = `${jobPath(jobName)}/${number}`
      if (target == null || !target.replace(/\/+$/, '').endsWith(run)) {
        throw this.redirected(res.status, res.headers.get('location'), what)
      }
    }
    return res.status !== 404
  }

  /** GET of a JSON answer by path (below the instance's base URL); throws JenkinsError 404 when it is missing. */
  async getJsonAt (path: string, what: string): Promise<unknown> {
    return await this.getJson(path, what)
  }

  /**
   * GET of a text answer (a log), keeping only its last `keepBytes` bytes however long it is:
   * `cut` when more came before them. `size` is Jenkins' X-Text-Size when it sent one.
   */
  async getTextTail (
    path: string,
    what: string,
    keepBytes: number
  ): Promise<{ text: string, cut: boolean, size: number | null }> {
    const res = await this.request('GET', path, what)
    const header = res.headers.get('x-text-size')
    const size = header != null && /^[0-9]{1,15}$/.test(header) ? Number(header) : null
    const chunks: Buffer[] = []
    let kept = 0
    let cut = false
    try {
      for await (const chunk of res.body ?? []) {
        chunks.push(Buffer.from(chunk as Uint8Array))
        kept += (chunk as Uint8Array).length
        while (kept - chunks[0].length >= keepBytes) {
          kept -= (chunks.shift() as Buffer).length
          cut = true
        }
      }
    } catch {
      throw new JenkinsError(`Jenkins broke off ${what}`)
    }
    let all = Buffer.concat(chunks)
    if (all.length > keepBytes) {
      all = all.subarray(all.length - keepBytes)
      cut = true
    }
    let start = 0
    if (cut) while (start < all.length && (all[start] & 0xc0) === 0x80) start++ // not half a character
    return { text: all.subarray(start).toString('utf8'), cut, size }
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
  private async request (
    method: 'GET' | 'POST',
    path: string,
    what: string,
    okStatuses: number[] = [],
    timeoutMs = this.opts.timeoutMs
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.auth != null) headers.authorization = this.auth
    const send = async (extra: Record<string, string> = {}): Promise<Response> => {
      this.requests++
      const count = (outcome: string): void => {
        this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1
      }
      try {
        const res = await fetch(this.baseUrl + path, {
          method,
          headers: { ...headers, ...extra },
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs)
        })
        count(
          res.status >= 500
            ? 'server_error'
            : res.status >= 400
              ? 'client_error'
              : res.status >= 300
                ? 'redirect'
                : 'ok'
        )
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
    if (res.ok || okStatuses.includes(res.status)) return res
    await res.body?.cancel()
    // Jenkins redirects only where a caller expects it (okStatuses): any other 3xx is a proxy or an
    // http→https rule in front of it, and the call did not reach Jenkins
    if (res.status >= 300 && res.status < 400) throw this.redirected(res.status, res.headers.get('location'), what)
    throw this.explain({ name: 'Error', message: res.statusText, statusCode: res.status }, what)
  }

  /** A refusal naming where Jenkins (or what stands in front of it) sent us. */
  private redirected (status: number, location: string | null, what: string): JenkinsError {
    let host = 'no Location'
    try {
      if (location != null) host = new URL(location, this.baseUrl).host
    } catch {
      host = 'an unreadable Location'
    }
    return new JenkinsError(
      `Jenkins answered ${what} with a redirect (${status}) to ${host}: ` +
        'a login proxy or an http→https rule stands in front of JENKINS_URL',
      status
    )
  }

  /** The crumb and the session cookie it is bound to (DefaultCrumbIssuer binds it to the session); null without a crumb
   * issuer.
   */
  private async crumb (): Promise<{ headerName: string, headerValue: string, cookies?: string } | null> {
    this.requests++
    const res = await fetch(`${this.baseUrl}/crumbIssuer/api/json`, {
      headers: this.auth == null ? {} : { authorization: this.auth },
      redirect: 'manual',
      signal: AbortSignal.timeout(this.opts.timeoutMs)
    })
    if (!res.ok) {
      await res.body?.cancel()
      return null
    }
    const crumb = (await res.json()) as { crumb: string, crumbRequestField: string }
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    return {
      headerName: crumb.crumbRequestField,
      headerValue: crumb.crumb,
      ...(cookie === '' ? {} : { cookies: cookie })
    }
  }

  private async crumbHeaders (): Promise<Record<string, string>> {
    const c = await this.crumb()
    return c == null ? {} : { [c.headerName]: c.headerValue, ...(c.cookies == null ? {} : { cookie: c.cookies }) }
  }

  /** Turns a client/network error into one sentence naming what went wrong. */
  explain (e: ClientError, what: string): JenkinsError {
    if (e.notFound === true || e.statusCode === 404) return new JenkinsError(`Jenkins: ${what} not found`, 404)
    if (e.statusCode === 401) return new JenkinsError('Jenkins rejected the credentials (401)', 401)
    if (e.statusCode === 403) return new JenkinsError(`Jenkins refused access to ${what} (403)`, 403)
    if (e.code === 'ETIMEDOUT' || /time(d)? ?out/i.test(e.message)) {
      return new JenkinsError(`Jenkins did not answer within ${this.opts.timeoutMs} ms`)
    }
    if (e.statusCode != null && e.statusCode >= 300 && e.statusCode < 400) {
      const location = e.res?.headers?.location
      let host = 'no Location'
      try {
        if (location != null) host = new URL(location, this.baseUrl).host
      } catch {
        host = 'an unreadable Location'
      }
      return new JenkinsError(`Jenkins answered ${what} with a redirect (${e.statusCode}) to ${host}`, e.statusCode)
    }
    if (e.statusCode != null) {
      return new JenkinsError(`Jenkins answered ${e.statusCode} for ${what}: ${e.message}`, e.statusCode)
    }
    return new JenkinsError(`Jenkins unreachable (${errorCode(e)})`)
  }
}

/** The path a Location header points at, or null when it is unreadable. */
function locationPath (location: string | null, base: string): string | null {
  if (location == null) return null
  try { return new URL(location, base + '/').pathname } catch { return null }
}
