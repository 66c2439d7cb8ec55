import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { now } from '../lib/time.js'
import { type BuildKey, progressTransaction } from '../repositories/progress.js'
import { checkUpdate, decideAll, type ProgressResult, type ProgressUpdate, stageNameOf } from './decide.js'

// The one write path for build and stage progress: Build/update, the webhook, the poller and Build/cancel
// all call applyProgress. The rules are decide.ts's; this reads a build's state once, decides every
// update, and writes the outcome once, in one transaction.

export { DETAIL_MAX_BYTES, MAX_STAGES, mergeDetail, type ProgressResult, type ProgressUpdate } from './decide.js'
export type { BuildKey } from '../repositories/progress.js'

/**
 * Applies `updates` to the build `key` in order, in one transaction; answers one result per update.
 * A refused update (InvalidParameter, or NotFound for the build) refuses them all: nothing is written.
 */
export async function applyProgress (db: Kysely<Database>, key: BuildKey, updates: ProgressUpdate[]):
Promise<ProgressResult[]> {
  if (updates.length === 0) return []
  for (const u of updates) checkUpdate(u)
  const at = now()
  return await progressTransaction(db, key, referenced(updates), (before) => {
    const { results, state: after, events } = decideAll(before, updates, at)
    return { outcome: { before, after, events, now: at }, answer: results }
  })
}

/** The stages the updates name, as stage or predecessor: all the decisions need to read. */
function referenced (updates: ProgressUpdate[]): { names: string[], ids: number[] } {
  const names = new Set<string>()
  const ids = new Set<number>()
  for (const u of updates) {
    const name = stageNameOf(u)
    if (name !== '') names.add(name)
    for (const n of u.preStageNames ?? []) names.add(n.trim().normalize('NFC'))
    for (const id of u.preStageIds ?? []) ids.add(id)
  }
  return { names: [...names], ids: [...ids] }
}
