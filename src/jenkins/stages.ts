import type { BlueNode, GraphStage, WfapiRun } from './client.js'
import { isTerminal, parseStatus, type Status } from '../status.js'
import { withoutCountdown } from '../lib/queue-reason.js'
import { plausibleTimeMs } from '../lib/bounds.js'

// Turns what each stage API answers into one list of stages (docs/API.md "Following Jenkins as it
// is installed today"; shapes in docs/jenkins-contract.md §4–5): every stage keyed by its Jenkins
// node id, with its predecessors as node ids, in an order where predecessors come first.

export interface PolledStage {
  nodeId: string
  name: string
  status: Status
  /** epoch ms; absent when the stage never started */
  startMs?: number
  /** epoch ms, for a finished stage */
  endMs?: number
  error?: string
  /** the stage it sits in (a parallel stage for a branch) */
  parent?: string
  /** node ids of its predecessors */
  pre: string[]
  /** why it waits for an agent (graph view causeOfBlockage, without a countdown) */
  queueReason?: string
  /** Jenkins' own word when our status does not say it (NOT_BUILT on a stage that had started: Aborted) */
  jenkinsResult?: string
}

/** declarative "skipped for failure" shows in wfapi as SUCCESS lasting a few ms (JENKINS-38097) */
const SKIPPED_MAX_MS = 50

/** The stages declarative adds itself, by their label (pipeline-model-definition SyntheticStageNames). */
const SYNTHETIC_PRE = ['Declarative: Checkout SCM', 'Declarative: Agent Setup', 'Declarative: Tool Install']
const SYNTHETIC_POST = 'Declarative: Post Actions'
const DECLARATIVE_PREFIX = 'Declarative: '

/**
 * Whether a stage label is one of declarative's synthetic stages. wfapi and the OpenTelemetry spans carry
 * no tag, only the label, and SyntheticStageGraphListener tags a stage by that label too.
 */
export function isSyntheticStage (label: string): boolean {
  const name = label.trim()
  return name === SYNTHETIC_POST || SYNTHETIC_PRE.includes(name)
}

/** Whether our stage name (the label without its prefix) is one of declarative's synthetic stages. */
export function isSyntheticName (name: string): boolean {
  return isSyntheticStage(DECLARATIVE_PREFIX + name.trim())
}

/**
 * Our name for a stage Jenkins labels `label`, whichever API or span said it: as Pipeline Graph View, the
 * view Jenkins suggests, shows it (PipelineNodeUtil.getDisplayName): a synthetic stage without its
 * "Declarative: " prefix, which wfapi and the spans keep. Any other label stays as it is.
 */
export function stageName (label: string): string {
  const name = label.trim()
  return isSyntheticStage(name) ? name.slice(DECLARATIVE_PREFIX.length) : name
}

/**
 * NOT_BUILT (or wfapi's NOT_EXECUTED) says "did not run" for a stage skipped by a restart, and
 * "interrupted" for one that ran until abortPrevious, a milestone or a lock ended the run with
 * Result.NOT_BUILT: a stage that ran longer than a skip takes is Aborted, with Jenkins' word kept.
 */
function notBuilt (s: PolledStage, startMs: number | undefined, durationMs: number | undefined): void {
  if (startMs == null || durationMs == null || durationMs <= SKIPPED_MAX_MS) {
    s.status = 'Skipped'
    return
  }
  s.status = 'Aborted'
  s.jenkinsResult = 'NOT_BUILT'
}

/**
 * Graph view's placeholder: the run's start (type PIPELINE_START) shown as a stage while no stage
 * exists (PipelineNodeTreeScanner.getStageMapping). Releases ≥ 529 call it "System Generated" with
 * `placeholder: true`; older ones call it "Unhandled Exception", with no `placeholder` field, after a
 * failure before any stage. Never a stage of ours; its state (a failure before any stage) says why
 * the run ended.
 */
function isPlaceholder (stage: GraphStage): boolean {
  return stage.placeholder === true || stage.type === 'PIPELINE_START'
}

export function placeholderOf (stages: GraphStage[]): GraphStage | undefined {
  return stages.find(isPlaceholder)
}

/** Pipeline Graph View `stages/tree`: states are the plugin's (skipped, not_built…); parallel branches are children. */
export function fromGraphTree (stages: GraphStage[]): PolledStage[] {
  const out: PolledStage[] = []
  // returns the node ids whatever follows this list leads from
  const walk = (list: GraphStage[], first: string[], parent: string | undefined, parallel: boolean): string[] => {
    let before = first
    const exits: string[] = []
    for (const g of list) {
      if (isPlaceholder(g)) continue
      const status = parseStatus(g.state) ?? 'Running'
      const start = plausibleTimeMs(g.startTimeMillis)
      const s: PolledStage = {
        nodeId: String(g.id),
        name: g.name.trim(),
        status,
        pre: before,
        ...(parent == null ? {} : { parent })
      }
      if (g.state.trim().toLowerCase() === 'not_built') notBuilt(s, start, g.totalDurationMillis)
      if (start != null) s.startMs = start
      const end = isTerminal(s.status) ? endOf(start, g.totalDurationMillis) : undefined
      if (end != null) s.endMs = end
      if (g.causeOfBlockage != null && !isTerminal(s.status)) s.queueReason = withoutCountdown(g.causeOfBlockage)
      out.push(s)
      const kids = g.children ?? []
      const isParallel = kids.some((k) => k.type === 'PARALLEL')
      const after = kids.length === 0 ? [s.nodeId] : walk(kids, [s.nodeId], s.nodeId, isParallel)
      if (parallel) exits.push(...after)
      else before = after
    }
    return parallel ? exits : before
  }
  walk(stages, [], undefined, false)
  return followBranches(out)
}

/** wfapi alone: a flat list in start order, each stage after the previous one; skipped-for-failure recognised by its
 * timing.
 */
export function fromWfapi (run: WfapiRun): PolledStage[] {
  const failedRun = parseStatus(run.status) === 'Fail'
  const firstFailed = run.stages.find((s) => parseStatus(s.status) === 'Fail')
  let before: string[] = []
  return run.stages.map((w) => {
    let status = parseStatus(w.status) ?? 'Running'
    // declarative's synthetic stages are never skipped: Post Actions runs after a failure too, often in a few ms
    if (
      failedRun &&
      firstFailed != null &&
      status === 'Pass' &&
      !isSyntheticStage(w.name) &&
      w.startTimeMillis > firstFailed.startTimeMillis &&
      w.durationMillis < SKIPPED_MAX_MS
    ) {
      status = 'Skipped'
    }
    const s: PolledStage = { nodeId: String(w.id), name: stageName(w.name), status, pre: before }
    if (w.status === 'NOT_EXECUTED') {
      notBuilt(s, w.startTimeMillis > 0 ? w.startTimeMillis : undefined, w.durationMillis)
    }
    wfapiTimes(s, w.startTimeMillis, w.durationMillis)
    if (w.error?.message != null && s.status !== 'Skipped') s.error = w.error.message
    before = [s.nodeId]
    return s
  })
}

/**
 * Blue Ocean nodes (with wfapi for error messages): states say skipped, edges give the DAG (a branch
 * after its parallel stage, the next stage after every branch). Future nodes (state null) are left out.
 * Declarative's synthetic stages, which Blue Ocean hides, come from wfapi (see withSyntheticStages).
 */
export function fromBlueOcean (nodes: BlueNode[], run: WfapiRun): PolledStage[] {
  const real = nodes.filter((n) => n.state != null)
  const ids = new Set(real.map((n) => n.id))
  const pre = new Map<string, string[]>(real.map((n) => [n.id, []]))
  const parent = new Map<string, string>()
  for (const n of real) {
    for (const e of n.edges ?? []) {
      if (!ids.has(e.id)) continue
      pre.get(e.id)?.push(n.id)
      // an edge to a PARALLEL node is the fan-out of a parallel stage to its branch
      if (real.find((x) => x.id === e.id)?.type === 'PARALLEL' && n.type !== 'PARALLEL') parent.set(e.id, n.id)
    }
  }
  // wfapi ids differ from Blue Ocean's for branches: errors are matched by name, in order
  const errors = new Map<string, string[]>()
  for (const w of run.stages) {
    if (w.error?.message != null) errors.set(w.name.trim(), [...(errors.get(w.name.trim()) ?? []), w.error.message])
  }
  const out: PolledStage[] = topological(real, pre).map((n) => {
    const status = blueStatus(n)
    const start = n.startTime == null ? undefined : plausibleTimeMs(parseBlueTime(n.startTime))
    const s: PolledStage = { nodeId: n.id, name: n.displayName.trim(), status, pre: pre.get(n.id) ?? [] }
    if (status === 'Aborted' && n.result === 'NOT_BUILT') s.jenkinsResult = 'NOT_BUILT'
    if (parent.has(n.id)) s.parent = parent.get(n.id)
    if (start != null) s.startMs = start
    const end = isTerminal(status) ? endOf(start, n.durationInMillis) : undefined
    if (end != null) s.endMs = end
    if (status === 'Fail') {
      const e = errors.get(s.name)?.shift()
      if (e != null) s.error = e
    }
    return s
  })
  return followBranches(withSyntheticStages(out, real, run))
}

/**
 * Blue Ocean leaves declarative's synthetic stages out (PipelineNodeGraphVisitor skips isSyntheticStage);
 * graph view, stage view and the OpenTelemetry spans show them. A user expects the same stages for a run
 * whichever plugin their Jenkins has, and a failed checkout or post step to show where the run failed:
 * they are taken from wfapi (same node ids) and placed as graph view places them, the pre stages first
 * and in order, Post Actions after every stage that leads nowhere.
 */
function withSyntheticStages (stages: PolledStage[], nodes: BlueNode[], run: WfapiRun): PolledStage[] {
  const shown = new Set(stages.map((s) => s.nodeId))
  const fromStageView = fromWfapi(run)
  const synthetic = fromStageView.filter((s, i) => isSyntheticStage(run.stages[i].name) && !shown.has(s.nodeId))
  if (synthetic.length === 0) return stages
  const pre = synthetic.filter((s) => s.name !== stageName(SYNTHETIC_POST))
  const post = synthetic.filter((s) => s.name === stageName(SYNTHETIC_POST))
  pre.forEach((s, i) => { s.pre = i === 0 ? [] : [pre[i - 1].nodeId] })
  const lastPre = pre.at(-1)?.nodeId
  if (lastPre != null) for (const s of stages) if (s.pre.length === 0 && s.parent == null) s.pre = [lastPre]
  // the stages no edge leaves: the last one, or every branch of a last parallel stage
  const leading = new Set(nodes.flatMap((n) => (n.edges ?? []).some((e) => shown.has(e.id)) ? [n.id] : []))
  const ends = stages.filter((s) => !leading.has(s.nodeId)).map((s) => s.nodeId)
  for (const s of post) s.pre = ends.length > 0 ? ends : lastPre == null ? [] : [lastPre]
  return [...pre, ...stages, ...post]
}

/** Blue Ocean BlueRunState/BlueRunResult → our status: SKIPPED and NOT_BUILT did not run; FINISHED/NOT_BUILT ran and
 * was interrupted.
 */
function blueStatus (n: BlueNode): Status {
  switch (n.state) {
    case 'SKIPPED': case 'NOT_BUILT': return 'Skipped'
    case 'QUEUED': return 'Queued'
    case 'PAUSED': return 'Paused'
    case 'FINISHED': return n.result === 'NOT_BUILT' ? 'Aborted' : parseStatus(n.result ?? '') ?? 'Running'
    default: return 'Running'
  }
}

/** "2020-05-10T12:21:02.862+0800" (AbstractRunImpl.DATE_FORMAT) → epoch ms */
export function parseBlueTime (text: string): number | undefined {
  const ms = Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return Number.isFinite(ms) ? ms : undefined
}

function wfapiTimes (s: PolledStage, startMs: number, duration: number): PolledStage {
  const start = plausibleTimeMs(startMs)
  if (start != null) s.startMs = start
  const end = isTerminal(s.status) ? endOf(start, duration) : undefined
  if (end != null) s.endMs = end
  return s
}

/**
 * A stage's end from its start and duration, only when it is a time (2000–2100): Jenkins' numbers are
 * stored as they come, and one like 1e300 would be served as 1e+297 or refused by a BIGINT column.
 */
function endOf (start: number | undefined, duration: number | null | undefined): number | undefined {
  if (start == null || typeof duration !== 'number' || !(duration >= 0)) return undefined
  return plausibleTimeMs(start + duration)
}

/** Kahn's order, lowest node id first among the ready ones: predecessors always come before. */
function topological (nodes: BlueNode[], pre: Map<string, string[]>): BlueNode[] {
  const left = [...nodes].sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id))
  const done = new Set<string>()
  const out: BlueNode[] = []
  while (left.length > 0) {
    const i = left.findIndex((n) => (pre.get(n.id) ?? []).every((p) => done.has(p)))
    const [n] = left.splice(i < 0 ? 0 : i, 1) // a cycle (never from Jenkins) is cut at the lowest id
    done.add(n.id)
    out.push(n)
  }
  return out
}

const SEVERITY: Partial<Record<Status, number>> = { Pass: 0, Skipped: 0, Unstable: 1, Fail: 2, Aborted: 3 }

/**
 * A stage holding parallel branches or nested stages runs until they all end and is no better than the worst of them.
 */
export function followBranches (stages: PolledStage[]): PolledStage[] {
  const byParent = new Map<string, PolledStage[]>()
  for (const s of stages) if (s.parent != null) byParent.set(s.parent, [...(byParent.get(s.parent) ?? []), s])
  const resolve = (s: PolledStage): Status => {
    const kids = byParent.get(s.nodeId)
    if (kids == null || s.status === 'Skipped') return s.status
    const statuses = kids.map(resolve)
    if (statuses.some((k) => !isTerminal(k))) {
      delete s.endMs
      s.status = statuses.includes('Paused') && !statuses.includes('Running') ? 'Paused' : 'Running'
      return s.status
    }
    const worst = statuses.reduce<Status>((w, k) => (SEVERITY[k] ?? 0) > (SEVERITY[w] ?? 0) ? k : w, 'Pass')
    if (isTerminal(s.status) && (SEVERITY[worst] ?? 0) > (SEVERITY[s.status] ?? 0)) s.status = worst
    return s.status
  }
  for (const s of stages) resolve(s)
  return stages
}

/**
 * Our stage name for each Jenkins node: the one stored for its node id, else its own name, else
 * `Name (2)`, `Name (3)`… when another node holds that name (matrix cells, retry). A stored stage
 * without a node id (reported by the pipeline itself) is the same stage as the first node of its name.
 */
export function assignNames (
  stages: PolledStage[],
  stored: Array<{ name: string, nodeId: string | null }>
): Map<string, string> {
  const byNode = new Map<string, string>()
  const taken = new Set(stored.map((s) => s.name))
  const adoptable = new Set(stored.filter((s) => s.nodeId == null).map((s) => s.name))
  for (const s of stored) if (s.nodeId != null) byNode.set(s.nodeId, s.name)
  const names = new Map<string, string>()
  for (const s of stages) {
    const known = byNode.get(s.nodeId)
    if (known != null) {
      names.set(s.nodeId, known)
      continue
    }
    let name = s.name
    if (adoptable.has(name)) {
      adoptable.delete(name)
    } else if (taken.has(name)) {
      let n = 2
      while (taken.has(`${s.name} (${n})`)) n++
      name = `${s.name} (${n})`
    }
    taken.add(name)
    names.set(s.nodeId, name)
  }
  return names
}
