import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { isDatabaseDown } from '../errors.js'
import type { GraphStage } from '../jenkins/client.js'
import type { JenkinsRegistry } from '../jenkins/registry.js'
import { assignNames, fromGraphTree, isSyntheticName, type PolledStage, stageName } from '../jenkins/stages.js'
import { jobNameFromUrl, jobOfRunUrl } from '../jenkins/urls.js'
import { plausibleTimeMs, positiveIntOf } from '../lib/bounds.js'
import { instanceOf, isRunUrlOf } from './notification.js'
import type { AttributeValue, OtlpSpan } from '../otlp/decode.js'
import {
  findBuild, findByTraceIds, findForNotification, pollSoon, recordTraceId, type TrackedBuild
} from '../repositories/builds.js'
import { writeRefusal } from '../lib/write-refusal.js'
import { type StoredStage, storedStages } from '../repositories/stages.js'
import { applyProgress, type ProgressUpdate } from './progress.js'
import { isTerminal, parseStatus, type Status } from '../status.js'

// Stage records from the spans Jenkins' OpenTelemetry plugin exports (docs/jenkins-contract.md,
// "OpenTelemetry plugin"): one span per stage and per parallel branch, sent when it ENDS, children
// before parents, in batches that may arrive twice (a retried export is re-sent whole). So:
// - a span names our build by its trace id (the `traceparent` our trigger sent), else the trace's
//   root span `BUILD <job>`, which comes last, names the run (URL, job + number, our parameters);
// - spans only add what is missing: a stage that already ended (the poller's word, or an earlier
//   span's) keeps its status, so a batch sent twice, or batches in any order, end the same;
// - the poller is asked to look at the build soon: it knows what spans cannot (predecessors of a
//   stage whose parent span has not arrived, a stage skipped after a failure rather than by `when`).

/** Why a span was not applied to a build, as /metrics counts it. */
export type DropReason =
  /** a step, agent or phase span: not a stage */
  | 'not_stage'
  /** no trace id, no node id or no name */
  | 'invalid'
  /** the trace's root span came and matches no build of ours (a run discovery follows, or another service's) */
  | 'no_build'
  /** the root names another run than the build its trace id belongs to */
  | 'other_run'
  /** held for a root span that did not come in time, or pushed out of a full hold */
  | 'expired'
  /** the write path refused it (the stage cap) or an unexpected error, logged */
  | 'refused'

export interface SpanReport {
  received: number
  /** applied to a build (whether or not it changed anything) */
  matched: number
  /** kept until their trace's root span names the build */
  held: number
  dropped: Partial<Record<DropReason, number>>
}

export interface SpanDeps {
  db: Kysely<Database>
  jenkins: JenkinsRegistry
  hold: SpanHold
  /** epoch ms */
  now?: () => number
  /** the poller looks at the build now; false: it could not take it (another poll holds it, or nothing to follow) */
  refresh?: (buildId: number) => Promise<boolean>
  /** how long an export waits for one look (default 3 s); a slower look goes on, its build's new stages wait */
  refreshWaitMs?: number
  /** how long an export waits for all its looks together (default 5 s), by `now` */
  refreshBudgetMs?: number
  warn?: (msg: string, err: unknown) => void
}

const STEP_TYPE = 'jenkins.pipeline.step.type'
/** `stage` steps and parallel branches (a branch's step type: the parallel step's symbol, or `branch`) */
const STAGE_TYPES = new Set(['stage', 'parallel', 'branch'])
const ROOT_PREFIX = 'BUILD '
const PHASE_START = 'Phase: Start'
/** declarative "skipped for failure" ends as SUCCESS in a few ms (JENKINS-38097), as in the poller's wfapi rule */
const SKIPPED_MAX_MS = 50
/** builds the poller looks at during one export, how long each may hold it, and all of them (see receiveSpans) */
const REFRESHES_PER_EXPORT = 8
const REFRESH_WAIT_MS = 3000
const REFRESH_BUDGET_MS = 5000

const isStageSpan = (s: OtlpSpan): boolean => STAGE_TYPES.has(String(s.attributes[STEP_TYPE] ?? ''))
const isBranch = (s: OtlpSpan): boolean => s.attributes[STEP_TYPE] !== 'stage'
const isRoot = (s: OtlpSpan): boolean =>
  s.name.startsWith(ROOT_PREFIX) && (s.attributes['ci.pipeline.id'] != null || s.kind === 2)
/** what links stages to each other: agents and phases sit between a stage and its parent */
const isLink = (s: OtlpSpan): boolean =>
  s.attributes[STEP_TYPE] === 'node' || s.name.startsWith('Phase: ') || s.name === 'Agent'

/**
 * Applies one export's spans. Unknown traces without their root span cost no database write: their
 * stage spans wait in `hold` (memory) for it.
 */
export async function receiveSpans (deps: SpanDeps, spans: OtlpSpan[]): Promise<SpanReport> {
  const report: SpanReport = { received: spans.length, matched: 0, held: 0, dropped: {} }
  const drop = (reason: DropReason, n = 1): void => {
    if (n > 0) report.dropped[reason] = (report.dropped[reason] ?? 0) + n
  }
  const now = deps.now ?? Date.now

  const byTrace = new Map<string, OtlpSpan[]>()
  for (const s of spans) {
    const useful = isStageSpan(s) || isRoot(s) || isLink(s)
    if (s.traceId === '' || s.spanId === '' || /^0+$/.test(s.traceId)) { drop('invalid'); continue }
    if (!useful) { drop('not_stage'); continue }
    const list = byTrace.get(s.traceId)
    if (list == null) byTrace.set(s.traceId, [s])
    else list.push(s)
  }
  // the poller's looks made during one export: each may wait on Jenkins, and the exporter gives up
  // after 10 s (then sends the batch again), so together they wait no longer than the budget, one
  // after another; builds past this many looks, or past the budget, are left to the next poll
  let looks = REFRESHES_PER_EXPORT
  const until = now() + (deps.refreshBudgetMs ?? REFRESH_BUDGET_MS)
  const look = deps.refresh
  const refresh = look == null
    ? undefined
    : async (id: number): Promise<boolean | undefined> => {
      const left = Math.min(deps.refreshWaitMs ?? REFRESH_WAIT_MS, until - now())
      return looks-- > 0 && left > 0 ? await within(look(id), left) : undefined
    }
  for (const [, e] of deps.hold.expire(now())) drop('expired', e)
  if (byTrace.size === 0) return report

  const known = new Map((await findByTraceIds(deps.db, [...byTrace.keys()])).map((b) => [b.trace_id as string, b]))
  const pollIds: number[] = []
  for (const [traceId, list] of byTrace) {
    let build: TrackedBuild | undefined = known.get(traceId)
    const root = list.find(isRoot)
    if (build == null) {
      if (root == null) {
        // stage spans come before the root: keep them, and the agents and phases that link them
        for (const [, e] of deps.hold.add(traceId, list, now())) drop('expired', e)
        report.held += list.length
        continue
      }
      build = await correlate(deps, root)
      const held = deps.hold.take(traceId)
      if (build == null) { drop('no_build', list.length + held.length); continue }
      await recordTraceId(deps.db, build.id, traceId)
      list.unshift(...held)
    } else {
      list.unshift(...deps.hold.take(traceId))
    }
    try {
      const outcome = await applyTrace(deps, build, list, refresh)
      report.matched += outcome.matched
      drop('other_run', outcome.otherRun)
      const waiting = outcome.wait.filter(isStageSpan).length
      report.held += waiting
      drop('not_stage', outcome.distinct - outcome.matched - outcome.otherRun - waiting)
      for (const [, e] of deps.hold.add(traceId, outcome.wait, now())) drop('expired', e)
      if (outcome.stages && !outcome.refreshed) pollIds.push(build.id)
    } catch (err) {
      // 503: nothing was acknowledged, the exporter sends it again (a refused write also keeps /readyz at 503)
      if (isDatabaseDown(err) || writeRefusal(err) != null) throw err
      deps.warn?.('OTLP spans refused', err)
      drop('refused', list.length)
    }
  }
  await pollSoon(deps.db, pollIds, now())
  return report
}

/** The build a trace without our trace id is about, from its root span; undefined when none. */
async function correlate (deps: SpanDeps, root: OtlpSpan): Promise<TrackedBuild | undefined> {
  const a = root.attributes
  const url = typeof a['ci.pipeline.run.url'] === 'string' ? a['ci.pipeline.run.url'] : undefined
  const number = positiveIntOf(a['ci.pipeline.run.number'])
  const params = parameters(a)
  return await findForNotification(deps.db, {
    instance: url == null ? undefined : await instanceOf(deps.db, deps.jenkins, url),
    url,
    job: typeof a['ci.pipeline.id'] === 'string' ? a['ci.pipeline.id'] : jobNameFromUrl(url),
    number,
    planId: positiveIntOf(params.DevOpsPlanID),
    buildIndex: positiveIntOf(params.BuildIndex)
  })
}

type Update = Omit<ProgressUpdate, 'planId' | 'buildIndex'>

interface TraceOutcome {
  matched: number
  otherRun: number
  /** spans after removing repeats */
  distinct: number
  /** the poller looked at the build during this export */
  refreshed: boolean
  stages: boolean
  /** stage spans not placed yet, with the agents and phases that will place them */
  wait: OtlpSpan[]
}

/** Writes what one trace's spans say about its build; counts the spans used. */
async function applyTrace (deps: SpanDeps, found: TrackedBuild, all: OtlpSpan[],
  refresh?: (id: number) => Promise<boolean | undefined>): Promise<TraceOutcome> {
  const { db } = deps
  // a span held and sent again counts once
  const spans = [...new Map(all.map((s) => [s.spanId, s])).values()]
  let build = found
  let matched = 0
  let otherRun = 0
  let refreshed = false

  const stageSpans = spans.filter(isStageSpan)
  let deferred: OtlpSpan[] = []
  let stageWrites: Update[] = []
  if (stageSpans.length > 0) {
    let stored = await storedStages(db, build.id)
    let planned = stageUpdates(build, spans, stageSpans, stored)
    if (planned.unknown > 0 && refresh != null) {
      // a stage we have not recorded: the poller reads Jenkins' tree now and records it where Jenkins
      // shows it (StageID, predecessors, the kind of skip), as the webhook does at a run's end; the
      // spans then fill in. Without Jenkins (unreachable, or not ours to ask) the spans place it.
      const polled = await refresh(build.id)
      if (polled !== undefined) {
        refreshed = true
        build = await findBuild(db, build.plan_id, build.build_index)
        stored = await storedStages(db, build.id)
      }
      // not polled while it can be (another poll holds the build, or this export's looks are spent):
      // the next poll records the stage, the span waits to fill it in
      const pollable = build.queue_id != null || build.jenkins_build_number != null
      planned = stageUpdates(build, spans, stageSpans, stored, { create: polled === true || !pollable })
    }
    deferred = planned.deferred
    matched += stageSpans.length - deferred.length
    stageWrites = planned.updates
  }

  const writes: Update[] = []
  // `Phase: Start` ends when the run starts: a build still queued runs since the span began
  const start = spans.find((s) => s.name === PHASE_START)
  if (start != null) {
    matched++
    if (build.status === 'Queued') writes.push({ status: 'Running', startTime: timeOf(start.startMs) })
  }
  writes.push(...stageWrites)
  const root = spans.find(isRoot)
  if (root != null) {
    const update = await rootUpdate(deps, build, root)
    if (update === 'other run') otherRun++
    else {
      matched++
      // a build that ended keeps its result: decide() says so under the build's lock
      if (update != null) writes.push(update)
    }
  }
  const jenkins = build.jenkins_build_number == null
    ? undefined
    : { buildNumber: build.jenkins_build_number, url: build.jenkins_url ?? undefined }
  await write(db, { planId: build.plan_id, buildIndex: build.build_index },
    writes.map((u) => ({ jenkins, ...u, source: 'otlp' as const })))

  // what places a deferred stage comes later: it waits with the agents and phases between
  const wait = deferred.length === 0 ? [] : [...deferred, ...spans.filter((s) => isLink(s) && !isRoot(s))]
  return { matched, otherRun, distinct: spans.length, refreshed, stages: stageSpans.length > 0, wait }
}

/** One build's updates through the one write path, in order, in one transaction. */
async function write (db: Kysely<Database>, key: { planId: number, buildIndex: number }, updates: Update[]):
Promise<void> {
  await applyProgress(db, key, updates)
}

/** The run's result, number and URL from its root span; null when there is nothing to write. */
async function rootUpdate (deps: SpanDeps, build: TrackedBuild, root: OtlpSpan): Promise<Update | null | 'other run'> {
  const a = root.attributes
  const number = positiveIntOf(a['ci.pipeline.run.number'])
  // known facts are never overwritten: a root naming another run is not about this build
  if (number != null && build.jenkins_build_number != null && number !== build.jenkins_build_number) return 'other run'
  const rawUrl = typeof a['ci.pipeline.run.url'] === 'string' ? a['ci.pipeline.run.url'] : undefined
  // nor a root whose run URL is another job's run (our trace id reached it, the run is not this build's)
  const job = jobOfRunUrl(rawUrl)
  if (job != null && job !== build.job_name) return 'other run'
  // a run URL is stored once, under a configured instance's base URL (never `javascript:` or another host) and
  // naming the build's job; a known one is kept
  const url = build.jenkins_url == null && isRunUrlOf(build, rawUrl) &&
    await instanceOf(deps.db, deps.jenkins, rawUrl) !== undefined
    ? rawUrl
    : undefined
  const jenkins = {
    buildNumber: number ?? build.jenkins_build_number ?? undefined,
    url: build.jenkins_url ?? url
  }
  const result = typeof a['ci.pipeline.run.result'] === 'string' ? a['ci.pipeline.run.result'] : null
  if (result == null) return number == null && url == null ? null : { status: build.status as Status, jenkins }
  const { startTime: spanStart, endTime } = rootTimes(root)
  const startTime = build.start_time ?? spanStart
  // NOT_BUILT on a run that started: superseded (abortPrevious, a milestone): Aborted, with Jenkins' word
  if (result === 'NOT_BUILT') {
    return { status: 'Aborted', startTime, endTime, jenkins, detail: { JenkinsResult: result } }
  }
  const status = parseStatus(result)
  const unknown = status == null ? { detail: { JenkinsResult: result } } : {}
  return { status: status ?? 'Fail', startTime, endTime, jenkins, ...unknown }
}

/**
 * The run's start and end from its root span, each only when it is a time (2000–2100), as the poller
 * takes Jenkins' own: a span's clock or `ci.pipeline.run.durationMillis` may say anything (1e300 would be
 * stored as 1e+297 on SQLite and refused by MariaDB's BIGINT). An end without a plausible start is not
 * trusted either; undefined leaves the time to the write path (the moment the span came).
 */
function rootTimes (root: OtlpSpan): { startTime?: number, endTime?: number } {
  const startMs = plausibleTimeMs(root.startMs)
  if (startMs == null) return {}
  const millis = root.attributes['ci.pipeline.run.durationMillis']
  const endMs = (typeof millis === 'number' && millis >= 0 ? plausibleTimeMs(startMs + millis) : undefined) ??
    plausibleTimeMs(root.endMs)
  return { startTime: timeOf(startMs), endTime: endMs == null ? undefined : timeOf(endMs) }
}

/**
 * The stage records the spans add, in the order the poller would write them. The spans whose
 * parents are here form a tree, which goes through the poller's own rules (fromGraphTree: the DAG,
 * a parallel stage no better than its branches; assignNames: our name for each Jenkins node).
 */
export function stageUpdates (build: TrackedBuild, spans: OtlpSpan[], stageSpans: OtlpSpan[], stored: StoredStage[],
  { create = true }: { create?: boolean } = {}):
  { updates: Update[], deferred: OtlpSpan[], unknown: number } {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const known = storedIndex(stored)
  const { kept, deferred, adopted, unknown } = classify(byId, stageSpans, known, create)
  const { polled, topIds } = polledTree(byId, kept)
  markSkippedAfterFailure(polled, stored)
  const names = assignNames(polled, stored.map((s) => {
    const adopter = [...adopted.entries()].find(([, st]) => st === s)
    return { name: s.name, nodeId: adopter?.[0] ?? s.nodeId }
  }))
  const updates: Update[] = []
  for (const p of polled) {
    const name = names.get(p.nodeId) as string
    const have = known.byNode.get(p.nodeId) ?? adopted.get(p.nodeId) ?? known.byName.get(name)
    const detail = {
      JenkinsNodeID: p.nodeId,
      ...(build.jenkins_url == null ? {} : { URL: `${build.jenkins_url}console` })
    }
    const startTime = p.startMs == null ? undefined : timeOf(p.startMs)
    const endTime = p.endMs == null ? undefined : timeOf(p.endMs)
    if (have != null && isTerminal(have.status as Status)) {
      // ended already: only a branch taking over its inner stage changes it, its node alone. Its times
      // stay: the plugin ends every branch span with the slowest branch, so a 10 s branch beside one of
      // 200 s has a span of 200 s. decide() holds an ended stage to that under the build's lock, also
      // when it ended after this read
      if (adopted.get(p.nodeId) === have) updates.push({ stageName: name, status: have.status as Status, detail })
      continue
    }
    // predecessors of a new stage: those the tree gives; a top stage with none follows the last stored one
    const pre = have != null || (topIds.has(p.nodeId) && p.pre.length === 0)
      ? undefined
      : p.pre.map((id) => names.get(id)).filter((n): n is string => n != null)
    const placedAfter = pre == null ? {} : { preStageNames: pre }
    updates.push({ stageName: name, status: p.status, startTime, endTime, detail, ...placedAfter })
  }
  return { updates, deferred, unknown }
}

type SpansById = ReadonlyMap<string, OtlpSpan>

const nodeOf = (s: OtlpSpan): string => String(s.attributes['jenkins.pipeline.step.id'] ?? s.spanId)

function nameOf (s: OtlpSpan): string {
  const given = s.attributes['jenkins.pipeline.step.name'] ?? s.name.replace(/^(Stage|Parallel branch): /, '')
  // a synthetic stage's span carries its label, "Declarative: …": named as the poller names it, whatever its source
  return stageName(String(given).normalize('NFC'))
}

/** Whether every span above `s` is here, up to the run's phases or root. */
function placed (byId: SpansById, s: OtlpSpan): boolean {
  let p = byId.get(s.parentSpanId)
  while (p != null) {
    if (isRoot(p) || p.name.startsWith('Phase: ')) return true
    p = byId.get(p.parentSpanId)
  }
  return s.parentSpanId === ''
}

/** The nearest stage or branch span above, through agents and phases; null at the top or when unknown. */
function parentStage (byId: SpansById, s: OtlpSpan): OtlpSpan | null {
  let p = byId.get(s.parentSpanId)
  while (p != null && !isStageSpan(p)) p = byId.get(p.parentSpanId)
  return p ?? null
}

/** The stored stage ran within the span's time (a span whose times are not times holds nothing). */
function ranWithin (st: StoredStage, s: OtlpSpan): boolean {
  const [start, end] = [timeOf(s.startMs), timeOf(s.endMs)]
  return st.start_time != null && start != null && st.start_time <= start &&
    (st.end_time == null || (end != null && st.end_time >= end))
}
/** The span's time holds the stored stage's. */
function contains (st: StoredStage, s: OtlpSpan): boolean {
  const [start, end] = [timeOf(s.startMs), timeOf(s.endMs)]
  return st.start_time != null && start != null && st.start_time >= start &&
    (st.end_time == null || (end != null && st.end_time <= end))
}

interface StoredIndex { byNode: Map<string, StoredStage>, byName: Map<string, StoredStage> }

function storedIndex (stored: StoredStage[]): StoredIndex {
  return {
    byNode: new Map(stored.filter((s) => s.nodeId != null).map((s) => [s.nodeId as string, s])),
    byName: new Map(stored.map((s) => [s.name, s]))
  }
}

/**
 * Which stage spans make records now (`kept`), which wait for the spans above them (`deferred`),
 * and which branch spans take over a stage stored under its inner stage's node (`adopted`).
 */
function classify (byId: SpansById, stageSpans: OtlpSpan[], known: StoredIndex, create: boolean):
{ kept: OtlpSpan[], deferred: OtlpSpan[], adopted: Map<string, StoredStage>, unknown: number } {
  // A declarative parallel stage `A` is a branch `A` holding a stage `A`: one stage, known by the
  // branch's node, as Pipeline Graph View (and so the poller) shows it. The inner span comes first,
  // maybe in an earlier export: a stored stage of the same name inside the branch's time is it.
  const adopted = new Map<string, StoredStage>()
  const kept: OtlpSpan[] = []
  const deferred: OtlpSpan[] = []
  let unknown = 0
  for (const s of stageSpans) {
    const p = parentStage(byId, s)
    if (!isBranch(s) && p != null && isBranch(p) && nameOf(p) === nameOf(s)) continue
    let isKnown = known.byNode.has(nodeOf(s))
    if (!isKnown) {
      const same = known.byName.get(nameOf(s))
      if (same != null && same.nodeId !== nodeOf(s)) {
        if (!isBranch(s) && p == null && ranWithin(same, s)) {
          // the branch is stored already. While it runs this span waits for the branch's, to give it its
          // end: the branch span ends with the slowest branch, the stage inside with the branch
          if (!isTerminal(same.status as Status)) deferred.push(s)
          continue
        }
        if (isBranch(s) && contains(same, s)) { adopted.set(nodeOf(s), same); isKnown = true }
      } else if (same != null) {
        isKnown = true // reported by the pipeline itself (no node id): the same stage, as the poller takes it
      }
    }
    // A new stage is placed (StageID, predecessors) only once the spans above it are here: they end,
    // and so come, after it, at the latest with the run's end. Until then the poller, which sees the
    // whole tree while it runs, records it; the span waits and fills in what is still missing.
    if (!isKnown) unknown++
    if (!isKnown && (!create || !placed(byId, s))) { deferred.push(s); continue }
    kept.push(s)
  }
  return { kept, deferred, adopted, unknown }
}

/** The kept spans as graph view's tree, siblings in start order (then node id), through the poller's rules. */
function polledTree (byId: SpansById, kept: OtlpSpan[]): { polled: PolledStage[], topIds: Set<string> } {
  const children = new Map<OtlpSpan | null, OtlpSpan[]>()
  const keptSet = new Set(kept)
  // a branch span ends with the slowest branch; the declarative stage inside it, with the branch
  const inner = new Map<OtlpSpan, OtlpSpan>()
  for (const s of byId.values()) {
    const p = isStageSpan(s) && !isBranch(s) ? parentStage(byId, s) : null
    if (p != null && isBranch(p) && nameOf(p) === nameOf(s)) inner.set(p, s)
  }
  for (const s of kept) {
    let p = parentStage(byId, s)
    // the inner stage of a branch was left out: its children hang under the branch
    while (p != null && !keptSet.has(p)) p = parentStage(byId, p)
    children.set(p, [...(children.get(p) ?? []), s])
  }
  const order = (a: OtlpSpan, b: OtlpSpan): number => a.startMs - b.startMs || Number(nodeOf(a)) - Number(nodeOf(b))
  const graph = (s: OtlpSpan): GraphStage => ({
    id: nodeOf(s),
    name: nameOf(s),
    state: stateOf(s),
    type: isBranch(s) ? 'PARALLEL' : 'STAGE',
    startTimeMillis: s.startMs,
    totalDurationMillis: Math.max(0, (inner.get(s) ?? s).endMs - s.startMs),
    children: (children.get(s) ?? []).sort(order).map(graph)
  })
  const tops = (children.get(null) ?? []).sort(order)
  return { polled: fromGraphTree(tops.map(graph)), topIds: new Set(tops.map(nodeOf)) }
}

/** Pipeline Graph View's state word for a stage span: its result, else its span status. */
function stateOf (s: OtlpSpan): string {
  const result = s.attributes['jenkins.pipeline.step.result']
  if (typeof result === 'string' && parseStatus(result) != null) return result
  return s.statusCode === 2 ? 'failure' : 'success'
}

/** A stage "passed" in a few ms after an earlier one failed was skipped for failure (the spans cannot say). */
function markSkippedAfterFailure (stages: PolledStage[], stored: StoredStage[]): void {
  const failedAt = [
    ...stored.filter((s) => s.status === 'Fail' || s.status === 'Aborted').map((s) => (s.end_time ?? 0) * 1000),
    ...stages.filter((s) => s.status === 'Fail' || s.status === 'Aborted').map((s) => s.endMs ?? s.startMs ?? 0)
  ]
  if (failedAt.length === 0) return
  const firstFailure = Math.min(...failedAt)
  for (const s of stages) {
    const quick = s.startMs != null && s.endMs != null && s.endMs - s.startMs < SKIPPED_MAX_MS
    // declarative's Post Actions runs after a failure too, often in a few ms: never a skip
    if (s.status === 'Pass' && quick && (s.startMs as number) >= firstFailure && !isSyntheticName(s.name)) {
      s.status = 'Skipped'
    }
  }
}

// ---- holding spans of traces no build is known for yet ----

/**
 * Stage spans of traces whose build is not known yet, until their root span names it: bounded in
 * spans and age, in this process's memory. Holding them here rather than in the database keeps a
 * stranger's traffic (runs that are not ours) from costing writes. With several processes, the
 * root span may reach another process than the stages: those stages then expire here, counted,
 * and the poller, which follows every build this service started, records them anyway. Traces
 * that carry our trace id (every build triggered through us) are never held.
 */
export class SpanHold {
  private readonly traces = new Map<string, { at: number, spans: OtlpSpan[] }>()
  private count = 0

  constructor (readonly maxSpans = 10_000, readonly maxAgeMs = 60 * 60_000) {}

  get size (): number { return this.count }

  /** Adds spans of a trace; answers the traces pushed out (oldest first) to stay within maxSpans. */
  add (traceId: string, spans: OtlpSpan[], now: number): Array<[string, number]> {
    if (spans.length === 0) return []
    const t = this.traces.get(traceId) ?? { at: now, spans: [] }
    // a batch sent twice holds its spans once
    const seen = new Set(t.spans.map((s) => s.spanId))
    const fresh = spans.filter((s) => !seen.has(s.spanId))
    t.spans.push(...fresh)
    this.count += fresh.length
    this.traces.delete(traceId)
    this.traces.set(traceId, t) // Map order: the most recently fed trace is evicted last
    const evicted: Array<[string, number]> = []
    for (const [id, other] of this.traces) {
      if (this.count <= this.maxSpans) break
      this.traces.delete(id)
      this.count -= other.spans.length
      evicted.push([id, other.spans.length])
    }
    return evicted
  }

  /** The held spans of a trace, removed. */
  take (traceId: string): OtlpSpan[] {
    const t = this.traces.get(traceId)
    if (t == null) return []
    this.traces.delete(traceId)
    this.count -= t.spans.length
    return t.spans
  }

  /** Drops traces first held more than maxAgeMs ago; answers them with their span counts. */
  expire (now: number): Array<[string, number]> {
    const out: Array<[string, number]> = []
    for (const [id, t] of this.traces) {
      if (now - t.at <= this.maxAgeMs) continue
      this.traces.delete(id)
      this.count -= t.spans.length
      out.push([id, t.spans.length])
    }
    return out
  }
}

// ---- attributes ----

/** `ci.pipeline.parameter.name` / `.value`, parallel arrays, as one map. */
function parameters (a: Record<string, AttributeValue>): Record<string, string> {
  const names = a['ci.pipeline.parameter.name']
  const values = a['ci.pipeline.parameter.value']
  if (!Array.isArray(names) || !Array.isArray(values)) return {}
  return Object.fromEntries(names.map((n, i) => [String(n), String(values[i] ?? '')]))
}

/** A span's time as stored: epoch seconds when it is a time (2000–2100), else undefined. */
function timeOf (ms: number): number | undefined {
  const plausible = plausibleTimeMs(ms)
  return plausible == null ? undefined : Math.floor(plausible / 1000)
}

/** `promise`'s value, or undefined once `ms` have passed (the promise goes on; its failure is ignored) */
async function within<T> (promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms) })
  try {
    return await Promise.race([promise.catch(() => undefined), late])
  } finally {
    clearTimeout(timer)
  }
}
