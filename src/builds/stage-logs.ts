import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { JenkinsError, type JenkinsClient } from '../jenkins/client.js'
import { fetchStageLog, type StageLogSource } from '../jenkins/stage-log.js'
import { saveStageLog, stagesWithoutLog } from '../repositories/stage-logs.js'
import type { TrackedBuild } from '../repositories/builds.js'
import { errorText } from '../lib/log-excerpt.js'
import type { Status } from '../status.js'

/** A stage as the poller just saw it in Jenkins, under the name it is stored by. */
export interface SeenStage { name: string, nodeId: string, status: Status, error?: string, parent?: string }

/**
 * Captures, once, the error and log excerpt of each stage Jenkins shows as failed (Fail or
 * Unstable) that has none stored yet. A stage holding a failed stage (a parallel stage and its
 * failed branch) logs nothing itself: it keeps the error Jenkins gave, and Jenkins is not asked.
 * A Jenkins failure leaves the stage uncaptured, to be tried on the build's next poll (the poller
 * polls an ended build again for it, a few times); it never holds the build's own progress back.
 * Answers how many stages are left uncaptured.
 */
export async function captureStageLogs (db: Kysely<Database>, log: FastifyBaseLogger, client: JenkinsClient,
  build: TrackedBuild, number: number, stages: SeenStage[], source: StageLogSource): Promise<number> {
  const failed = stages.filter((s) => s.status === 'Fail' || s.status === 'Unstable')
  if (failed.length === 0) return 0
  let uncaptured = 0
  const missing = await stagesWithoutLog(db, build.id, failed.map((s) => s.name))
  for (const { stage_id: stageId, name } of missing) {
    const seen = failed.find((s) => s.name === name) as SeenStage
    try {
      const got = failed.some((s) => s.parent === seen.nodeId)
        ? { error: errorText(seen.error), log: '', truncated: false }
        : await fetchStageLog(client, build.job_name, number, seen.nodeId, source, seen.error)
      await saveStageLog(db, build.id, stageId, { ...got, source: source.kind })
    } catch (err) {
      if (!(err instanceof JenkinsError)) throw err
      uncaptured++
      log.warn(
        { build: build.id, stage: name, reason: err.message },
        'stage log not captured; tried again on the next poll'
      )
    }
  }
  return uncaptured
}
