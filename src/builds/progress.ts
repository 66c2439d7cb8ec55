import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import { invalid } from '../errors.js'
import { bumpRevision, lockForProgress, recordRun, updateBuildProgress } from '../repositories/builds.js'
import { appendEvents, type EventSource, type NewEvent } from '../repositories/events.js'
import { findStage, insertStage, lastStageId, stagesByIds, stagesByNames, updateStage } from '../repositories/stages.js'
import { DETAIL_MAX_KEYS, detailShapeProblem } from '../lib/detail-shape.js'
import { now } from '../lib/time.js'
import { canMove, isTerminal, type Status } from '../status.js'

// The one write path for build and stage progress: Build/update, the webhook and the poller all
// call applyProgress, so the DAG, monotonic, Detail-merge and idempotency rules live only here.

export const DETAIL_MAX_BYTES = 16 * 1024
export const MAX_STAGES = 1000

export interface ProgressUpdate {
  planId: number
  buildIndex: number
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

type Trx = Transaction<Database>

export async function applyProgress (db: Kysely<Database>, u: ProgressUpdate): Promise<ProgressResult> {
  if (u.preStageIds != null && u.preStageNames != null) {
    throw invalid('PreStageID and PreStageName are exclusive: send one of them')
  }
  // checked before the transaction: a huge Detail must not hold the write lock while it is walked
  const shape = u.detail == null ? null : detailShapeProblem(u.detail)
  if (shape != null) throw invalid(shape)
  return await db.transaction().execute(async (trx) => {
    // Lock the build row first: concurrent updates of one build (parallel branches) then allocate
    // StageIDs one after the other; only a real change bumps the revision (the Stage/info cache key).
    const build = await lockForProgress(trx, u.planId, u.buildIndex)
    const events: NewEvent[] = []

    const stageName = u.stageName?.trim() ?? ''
    let result: ProgressResult
    if (stageName === '') {
      result = await applyToBuild(trx, build.id, build, u, events)
    } else if (isTerminal(build.status as Status) && !isTerminal(u.status)) {
      // a late `running` (or a new stage still going) after the build ended would stay Running for ever
      return { changed: false, ignored: `build already ended (${build.status}): a stage that is not final is ignored` }
    } else {
      result = await applyToStage(trx, build.id, stageName, u, events)
      // any stage activity means the build left the queue
      if (build.status === 'Queued' && u.status !== 'Queued') {
        await updateBuildProgress(trx, build.id, {
          status: 'Running',
          start_time: build.start_time ?? u.startTime ?? now()
        })
        events.push({ stageName: '', status: 'Running' })
        result.changed = true
      }
      if (await recordJenkinsFacts(trx, build, u)) {
        if (!events.some((e) => e.stageName === '')) events.push({ stageName: '', status: build.status })
        result.changed = true
      }
    }
    if (result.changed) {
      await bumpRevision(trx, build.id)
      await appendEvents(trx, build, u.source ?? 'callback', events)
    }
    return result
  })
}

async function applyToBuild (
  trx: Trx,
  id: number,
  build: {
    status: string
    detail: string
    start_time: number | null
    end_time: number | null
    jenkins_build_number: number | null
    jenkins_url: string | null
  },
  u: ProgressUpdate,
  events: NewEvent[]
): Promise<ProgressResult> {
  const from = build.status as Status
  if (!canMove(from, u.status)) return { changed: false, ignored: `build is already ${from}` }
  const next = {
    status: u.status,
    detail: mergeDetail(build.detail, u.detail),
    ...times(from, u.status, build.start_time, build.end_time, u)
  }
  const changed =
    next.status !== build.status ||
    next.detail !== build.detail ||
    next.start_time !== build.start_time ||
    next.end_time !== build.end_time
  if (changed) await updateBuildProgress(trx, id, next)
  const facts = await recordJenkinsFacts(trx, { id, ...build }, u)
  if (changed || facts) events.push({ stageName: '', status: next.status, detail: setKeys(build.detail, next.detail) })
  return { changed: changed || facts }
}

async function applyToStage (
  trx: Trx,
  buildId: number,
  name: string,
  u: ProgressUpdate,
  events: NewEvent[]
): Promise<ProgressResult> {
  // one stage by name, not the whole build (a build may hold 1,000 stages)
  const stage = await findStage(trx, buildId, name)

  if (stage == null) {
    const last = await lastStageId(trx, buildId)
    if (last >= MAX_STAGES) throw invalid(`a build has at most ${MAX_STAGES} stages; stage "${name}" would be one more`)
    const stageId = last + 1
    const pre = (await resolvePredecessors(trx, buildId, stageId, u)) ?? (last === 0 ? [] : [last])
    const detail = mergeDetail('{}', u.detail)
    await insertStage(trx, {
      build_id: buildId,
      stage_id: stageId,
      name,
      pre_stage_ids: JSON.stringify(pre),
      status: u.status,
      detail,
      ...times('Queued', u.status, null, null, u)
    })
    events.push({ stageName: name, status: u.status, detail: setKeys('{}', detail) })
    return { changed: true }
  }

  const from = stage.status as Status
  if (!canMove(from, u.status)) return { changed: false, ignored: `stage "${name}" is already ${from}` }
  const pre = await resolvePredecessors(trx, buildId, stage.stage_id, u)
  const next = {
    status: u.status,
    detail: mergeDetail(stage.detail, u.detail),
    pre_stage_ids: pre == null ? stage.pre_stage_ids : JSON.stringify(pre),
    ...times(from, u.status, stage.start_time, stage.end_time, u)
  }
  const changed = (Object.keys(next) as Array<keyof typeof next>).some((k) => next[k] !== stage[k])
  if (changed) {
    await updateStage(trx, stage.id, next)
    events.push({ stageName: name, status: next.status, detail: setKeys(stage.detail, next.detail) })
  }
  return { changed }
}

/** PreStageID / PreStageName of the update as StageIDs; only stages before `before` qualify, which keeps it a DAG. */
async function resolvePredecessors (
  trx: Trx,
  buildId: number,
  before: number,
  u: ProgressUpdate
): Promise<number[] | undefined> {
  if (u.preStageIds != null) {
    const ids = [...new Set(u.preStageIds)]
    const found = new Set(
      (await stagesByIds(trx, buildId, ids)).filter((s) => s.stage_id < before).map((s) => s.stage_id)
    )
    const missing = ids.find((id) => !found.has(id))
    if (missing != null) throw invalid(`PreStageID ${missing} is not an earlier stage of this build`)
    return ids
  }
  if (u.preStageNames != null) {
    const names = u.preStageNames.map((n) => n.trim())
    const byName = new Map(
      (await stagesByNames(trx, buildId, [...new Set(names)]))
        .filter((s) => s.stage_id < before)
        .map((s) => [s.name, s.stage_id])
    )
    return [
      ...new Set(
        names.map((n, i) => {
          const id = byName.get(n)
          if (id == null) {
            throw invalid(`PreStageName "${(u.preStageNames as string[])[i]}" is not an earlier stage of this build`)
          }
          return id
        })
      )
    ]
  }
  return undefined
}

/** StartTime/EndTime after moving from `from` to `to`: given times win, else the first sighting. */
function times (from: Status, to: Status, start: number | null, end: number | null, u: ProgressUpdate):
{ start_time: number | null, end_time: number | null } {
  const t = now()
  const startTime = u.startTime ?? start ?? (to === 'Queued' ? null : t)
  let endTime = end
  if (isTerminal(to)) {
    if (u.endTime != null) endTime = u.endTime
    else if (from !== to || end == null) endTime = t
  } else {
    endTime = null
  }
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
  return merged
}

/** The Detail keys whose value a write set or changed: what its event records. */
function setKeys (before: string, after: string): Record<string, unknown> {
  if (before === after) return {}
  const old = JSON.parse(before) as Record<string, unknown>
  const next = JSON.parse(after) as Record<string, unknown>
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => JSON.stringify(old[k]) !== JSON.stringify(v)))
}

async function recordJenkinsFacts (
  trx: Trx,
  build: { id: number, jenkins_build_number: number | null, jenkins_url: string | null },
  u: ProgressUpdate
): Promise<boolean> {
  const number = u.jenkins?.buildNumber ?? build.jenkins_build_number
  const url = u.jenkins?.url ?? build.jenkins_url
  if (number === build.jenkins_build_number && url === build.jenkins_url) return false
  await recordRun(trx, build.id, { number, url })
  return true
}
