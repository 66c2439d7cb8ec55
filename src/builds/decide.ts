import { invalid } from '../errors.js'
import { DETAIL_MAX_KEYS, detailShapeProblem } from '../lib/detail-shape.js'
import { normalizeName } from '../lib/names.js'
import type { EventSource, NewEvent } from '../repositories/events.js'
import type { BuildState, ProgressState, StageState } from '../repositories/progress.js'
import { canMove, isTerminal, type Status } from '../status.js'

// Every rule of the write path, as pure functions: what an update does to a build's state. No
// database and no clock: the caller reads the state, passes the time, and writes the outcome.

export const DETAIL_MAX_BYTES = 16 * 1024
export const MAX_STAGES = 1000

export type { BuildState, ProgressState, StageState }

/** One report about a build or one of its stages (the build is named by applyProgress's key). */
export interface ProgressUpdate {
  status: Status
  /** absent or "": the status is the build's own */
  stageName?: string
  detail?: Record<string, unknown>
  preStageIds?: number[]
  preStageNames?: string[]
  /** epoch seconds, when the source knows them (Jenkins' own times) */
  startTime?: number
  endTime?: number
  /** facts about the Jenkins run, stored on the build */
  jenkins?: { buildNumber?: number, url?: string }
  /** who reported it, recorded in the build's history; default 'callback' (Build/update) */
  source?: EventSource
}

export interface ProgressResult {
  /** false when nothing changed: a repeat, or a backward move that was ignored */
  changed: boolean
  /** why the update was ignored, for the Description */
  ignored?: string
}

export interface Decision {
  result: ProgressResult
  /** the state after the update (the same objects where nothing changed) */
  state: ProgressState
  /** the stage this update created or changed */
  stage?: StageState
  events: Array<NewEvent & { source: EventSource }>
}

/**
 * The stage an update is about ("" for the build itself): trimmed and NFC-normalized, so names are
 * compared as people read them; control, bidi and lone-surrogate characters are refused (1001).
 */
export const stageNameOf = (u: ProgressUpdate): string =>
  u.stageName == null || u.stageName.trim() === '' ? '' : normalizeName(u.stageName, 'StageName')

/** A predecessor's name, as stage names are stored. */
const preStageName = (raw: string): string => normalizeName(raw, 'PreStageName')

/**
 * The rules that need no state, checked before any lock is taken: a huge Detail must not hold the
 * write lock while it is walked.
 */
export function checkUpdate (u: ProgressUpdate): void {
  if (u.preStageIds != null && u.preStageNames != null) {
    throw invalid('PreStageID and PreStageName are exclusive: send one of them')
  }
  const shape = u.detail == null ? null : detailShapeProblem(u.detail)
  if (shape != null) throw invalid(shape)
  stageNameOf(u)
  u.preStageNames?.forEach(preStageName)
}

/** What one update does to `state` at time `now` (epoch seconds); throws InvalidParameter for a refused update. */
export function decide (state: ProgressState, u: ProgressUpdate, now: number): Decision {
  const source = u.source ?? 'callback'
  const name = stageNameOf(u)
  const build = state.build
  if (name === '') return decideBuild(state, u, now, source)
  if (isTerminal(build.status) && !isTerminal(u.status)) {
    // a late `running` (or a new stage still going) after the build ended would stay Running for ever
    const ignored = `build already ended (${build.status}): a stage that is not final is ignored`
    return { result: { changed: false, ignored }, state, events: [] }
  }
  const d = decideStage(state, name, u, now, source)
  let next = d.state.build
  // any stage activity means the build left the queue
  if (next.status === 'Queued' && u.status !== 'Queued') {
    next = { ...next, status: 'Running', start_time: next.start_time ?? u.startTime ?? now }
    d.events.push({ stageName: '', status: 'Running', source })
  }
  const facts = withRunFacts(next, u)
  if (facts !== next && !d.events.some((e) => e.stageName === '')) {
    d.events.push({ stageName: '', status: build.status, source })
  }
  next = facts
  const changed = d.result.changed || next !== d.state.build
  return { ...d, result: { ...d.result, changed }, state: { ...d.state, build: next } }
}

function decideBuild (state: ProgressState, u: ProgressUpdate, now: number, source: EventSource): Decision {
  const build = state.build
  // a notification replayed (or racing the pipeline's own report) never rewrites a result; decided
  // here, under the build's lock, so two notifications sent together cannot both pass a check made before
  if (source === 'webhook' && isTerminal(build.status) && u.status !== build.status) {
    const ignored = `build already ended (${build.status}): a notification never changes it`
    return { result: { changed: false, ignored }, state, events: [] }
  }
  // the same for a span: the root span says less than the poller, which read Jenkins' own result
  if (source === 'otlp' && isTerminal(build.status)) {
    const ignored = `build already ended (${build.status}): a span never changes it`
    return { result: { changed: false, ignored }, state, events: [] }
  }
  if (!canMove(build.status, u.status)) {
    return { result: { changed: false, ignored: `build is already ${build.status}` }, state, events: [] }
  }
  const moved = {
    ...build,
    status: u.status,
    detail: mergeDetail(build.detail, u.detail),
    ...times(build.status, u.status, build.start_time, build.end_time, u, now)
  }
  const next = withRunFacts(sameAs(build, moved) ? build : moved, u)
  if (next === build) return { result: { changed: false }, state, events: [] }
  const events = [{ stageName: '', status: next.status, detail: setKeys(build.detail, next.detail), source }]
  return { result: { changed: true }, state: { ...state, build: next }, events }
}

function decideStage (
  state: ProgressState, name: string, update: ProgressUpdate, now: number, source: EventSource
): Decision {
  const stage = state.stages.get(name)
  let u = update
  if (source === 'otlp' && stage != null && isTerminal(stage.status)) {
    // an ended stage keeps its status and times against spans (the poller tells a skip after a failure,
    // which a span reports as passed or failed; a branch span ends with the slowest branch): only its
    // Detail may change, as when a branch takes over the stage inside it. Decided here, under the
    // build's lock, so a poll committed after the spans' planning read is never overwritten
    if (u.status !== stage.status) {
      const ignored = `stage "${name}" already ended (${stage.status}): a span never changes it`
      return { result: { changed: false, ignored }, state, events: [] }
    }
    u = { status: u.status, stageName: u.stageName, detail: u.detail, jenkins: u.jenkins, source: u.source }
  }
  if (stage == null) {
    const last = state.lastStageId
    if (last >= MAX_STAGES) throw invalid(`a build has at most ${MAX_STAGES} stages; stage "${name}" would be one more`)
    const stageId = last + 1
    const pre = predecessors(state, stageId, u) ?? (last === 0 ? [] : [last])
    const detail = mergeDetail('{}', u.detail)
    const created: StageState = {
      stage_id: stageId,
      name,
      pre_stage_ids: JSON.stringify(pre),
      status: u.status,
      detail,
      ...times('Queued', u.status, null, null, u, now)
    }
    const events = [{ stageName: name, status: u.status, detail: setKeys('{}', detail), source }]
    return { result: { changed: true }, state: withStage(state, created, stageId), stage: created, events }
  }
  if (!canMove(stage.status, u.status)) {
    return { result: { changed: false, ignored: `stage "${name}" is already ${stage.status}` }, state, events: [] }
  }
  const pre = predecessors(state, stage.stage_id, u)
  const next: StageState = {
    ...stage,
    status: u.status,
    detail: mergeDetail(stage.detail, u.detail),
    pre_stage_ids: pre == null ? stage.pre_stage_ids : JSON.stringify(pre),
    ...times(stage.status, u.status, stage.start_time, stage.end_time, u, now)
  }
  if (sameAs(stage, next)) return { result: { changed: false }, state, events: [] }
  const events = [{ stageName: name, status: next.status, detail: setKeys(stage.detail, next.detail), source }]
  return { result: { changed: true }, state: withStage(state, next, state.lastStageId), stage: next, events }
}

function withStage (state: ProgressState, stage: StageState, lastStageId: number): ProgressState {
  const stages = new Map(state.stages)
  stages.set(stage.name, stage)
  return { ...state, stages, lastStageId }
}

/** Whether every field of `a` has the same value in `b`. */
function sameAs<T extends object> (a: T, b: T): boolean {
  return (Object.keys(a) as Array<keyof T>).every((k) => a[k] === b[k])
}

/**
 * PreStageID / PreStageName of the update as StageIDs; only stages before `before` qualify, which
 * keeps it a DAG. Undefined when the update names none.
 */
function predecessors (state: ProgressState, before: number, u: ProgressUpdate): number[] | undefined {
  if (u.preStageIds != null) {
    const ids = [...new Set(u.preStageIds)]
    const earlier = new Set([...state.stages.values()].map((s) => s.stage_id).filter((id) => id < before))
    const missing = ids.find((id) => !earlier.has(id))
    if (missing != null) throw invalid(`PreStageID ${missing} is not an earlier stage of this build`)
    return ids
  }
  if (u.preStageNames == null) return undefined
  return [...new Set(u.preStageNames.map((raw) => {
    const id = state.stages.get(preStageName(raw))?.stage_id
    if (id == null || id >= before) throw invalid(`PreStageName "${raw}" is not an earlier stage of this build`)
    return id
  }))]
}

/** StartTime/EndTime after moving from `from` to `to`: given times win, else the first sighting. */
export function times (from: Status, to: Status, start: number | null, end: number | null,
  u: Pick<ProgressUpdate, 'startTime' | 'endTime'>, now: number
): { start_time: number | null, end_time: number | null } {
  const startTime = u.startTime ?? start ?? (to === 'Queued' ? null : now)
  let endTime = null
  if (isTerminal(to)) endTime = u.endTime ?? (from !== to || end == null ? now : end)
  return { start_time: startTime, end_time: endTime }
}

/** Shallow merge of the update's Detail into the stored one; the result is capped at 256 keys and 16 KiB of JSON. */
export function mergeDetail (stored: string, detail: Record<string, unknown> | undefined): string {
  if (detail == null || Object.keys(detail).length === 0) return stored
  const object = { ...JSON.parse(stored) as object, ...detail }
  const keys = Object.keys(object).length
  if (keys > DETAIL_MAX_KEYS) throw invalid(`Detail would have ${keys} keys, more than ${DETAIL_MAX_KEYS}`)
  const merged = JSON.stringify(object)
  if (Buffer.byteLength(merged) > DETAIL_MAX_BYTES) {
    throw invalid(`Detail would exceed ${DETAIL_MAX_BYTES} bytes of JSON`)
  }
  // unchanged values keep the stored text, so a repeat is recognised as one
  return merged === stored ? stored : merged
}

/** The Detail keys whose value a write set or changed: what its event records. */
export function setKeys (before: string, after: string): Record<string, unknown> {
  if (before === after) return {}
  const old = JSON.parse(before) as Record<string, unknown>
  const next = JSON.parse(after) as Record<string, unknown>
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => JSON.stringify(old[k]) !== JSON.stringify(v)))
}

/** The build with the run facts the update brings (number, URL); the same object when they are known already. */
/** The run's number and URL, kept once known: a report naming another run is about another build. */
function withRunFacts (build: BuildState, u: ProgressUpdate): BuildState {
  const number = build.jenkins_build_number ?? u.jenkins?.buildNumber ?? null
  const url = build.jenkins_url ?? u.jenkins?.url ?? null
  if (number === build.jenkins_build_number && url === build.jenkins_url) return build
  return { ...build, jenkins_build_number: number, jenkins_url: url }
}

/** Every update in turn, each seeing the state the ones before it left. */
export function decideAll (state: ProgressState, updates: ProgressUpdate[], now: number):
{ results: ProgressResult[], state: ProgressState, events: Decision['events'] } {
  const results: ProgressResult[] = []
  const events: Decision['events'] = []
  let current = state
  for (const u of updates) {
    const d = decide(current, u, now)
    results.push(d.result)
    events.push(...d.events)
    current = d.state
  }
  return { results, state: current, events }
}
