import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import { invalid } from '../errors.js'
import { bumpRevision, lockForProgress, recordRun, updateBuildProgress } from '../repositories/builds.js'
import { appendEvents, type EventSource, type NewEvent } from '../repositories/events.js'
import { insertStage, type StageRecord, stageRecords, updateStage } from '../repositories/stages.js'
import { now } from '../lib/time.js'
import { canMove, isTerminal, type Status } from './status.js'

// The one write path for build and stage progress: Build/update, the webhook and the poller all
// call applyProgress, so the DAG, monotonic, Detail-merge and idempotency rules live only here.

export const DETAIL_MAX_BYTES = 16 * 1024

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
  return await db.transaction().execute(async (trx) => {
    // Lock the build row first: concurrent updates of one build (parallel branches) then allocate
    // StageIDs one after the other; only a real change bumps the revision (the Stage/info cache key).
    const build = await lockForProgress(trx, u.planId, u.buildIndex)
    const events: NewEvent[] = []

    const stageName = u.stageName?.trim() ?? ''
    let result: ProgressResult
    if (stageName === '') {
      result = await applyToBuild(trx, build.id, build, u, events)
    } else {
      result = await applyToStage(trx, build.id, stageName, u, events)
      // any stage activity means the build left the queue
      if (build.status === 'Queued' && u.status !== 'Queued') {
        await updateBuildProgress(trx, build.id, { status: 'Running', start_time: build.start_time ?? u.startTime ?? now() })
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

async function applyToBuild (trx: Trx, id: number,
  build: { status: string, detail: string, start_time: number | null, end_time: number | null, jenkins_build_number: number | null, jenkins_url: string | null },
  u: ProgressUpdate, events: NewEvent[]): Promise<ProgressResult> {
  const from = build.status as Status
  if (!canMove(from, u.status)) return { changed: false, ignored: `build is already ${from}` }
  const next = {
    status: u.status,
    detail: mergeDetail(build.detail, u.detail),
    ...times(from, u.status, build.start_time, build.end_time, u)
  }
  const changed = next.status !== build.status || next.detail !== build.detail ||
    next.start_time !== build.start_time || next.end_time !== build.end_time
  if (changed) await updateBuildProgress(trx, id, next)
  const facts = await recordJenkinsFacts(trx, { id, ...build }, u)
  if (changed || facts) events.push({ stageName: '', status: next.status, detail: setKeys(build.detail, next.detail) })
  return { changed: changed || facts }
}

async function applyToStage (trx: Trx, buildId: number, name: string, u: ProgressUpdate, events: NewEvent[]): Promise<ProgressResult> {
  const stages = await stageRecords(trx, buildId)
  const stage = stages.find((s) => s.name === name)

  if (stage == null) {
    const stageId = stages.length === 0 ? 1 : stages[stages.length - 1].stage_id + 1
    const pre = resolvePredecessors(stages, u) ?? (stages.length === 0 ? [] : [stages[stages.length - 1].stage_id])
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
  const pre = resolvePredecessors(stages.filter((s) => s.stage_id < stage.stage_id), u)
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

/** PreStageID / PreStageName of the update as StageIDs; only earlier stages qualify, which keeps it a DAG. */
function resolvePredecessors (earlier: StageRecord[], u: ProgressUpdate): number[] | undefined {
  if (u.preStageIds != null) {
    for (const id of u.preStageIds) {
      if (!earlier.some((s) => s.stage_id === id)) throw invalid(`PreStageID ${id} is not an earlier stage of this build`)
    }
    return [...new Set(u.preStageIds)]
  }
  if (u.preStageNames != null) {
    return [...new Set(u.preStageNames.map((n) => {
      const found = earlier.find((s) => s.name === n.trim())
      if (found == null) throw invalid(`PreStageName "${n}" is not an earlier stage of this build`)
      return found.stage_id
    }))]
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

/** Shallow merge of the update's Detail into the stored one; the result is capped at 16 KiB of JSON. */
export function mergeDetail (stored: string, detail: Record<string, unknown> | undefined): string {
  if (detail == null || Object.keys(detail).length === 0) return stored
  const merged = JSON.stringify({ ...JSON.parse(stored) as object, ...detail })
  if (Buffer.byteLength(merged) > DETAIL_MAX_BYTES) throw invalid(`Detail would exceed ${DETAIL_MAX_BYTES} bytes of JSON`)
  return merged
}

/** The Detail keys whose value a write set or changed: what its event records. */
function setKeys (before: string, after: string): Record<string, unknown> {
  if (before === after) return {}
  const old = JSON.parse(before) as Record<string, unknown>
  const next = JSON.parse(after) as Record<string, unknown>
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => JSON.stringify(old[k]) !== JSON.stringify(v)))
}

async function recordJenkinsFacts (trx: Trx, build: { id: number, jenkins_build_number: number | null, jenkins_url: string | null },
  u: ProgressUpdate): Promise<boolean> {
  const number = u.jenkins?.buildNumber ?? build.jenkins_build_number
  const url = u.jenkins?.url ?? build.jenkins_url
  if (number === build.jenkins_build_number && url === build.jenkins_url) return false
  await recordRun(trx, build.id, { number, url })
  return true
}
