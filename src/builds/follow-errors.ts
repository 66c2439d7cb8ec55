import type { JenkinsError } from '../jenkins/client.js'

// How following one build can fail, and what each failure tells the poller: counted towards "lost",
// or this build's own trouble (it backs off alone) rather than the instance's.

/**
 * a queue item gone with no run carrying its id, or a run answering 404, this many polls in a row: the build is lost
 */
export const LOST_AFTER = 3

/** Not an outage: the queue item is gone and the run is not listed yet; counted towards "lost". */
export class LostQueueItem extends Error {
  constructor (readonly misses: number) { super(`queue item gone, no run found yet (${misses}/${LOST_AFTER})`) }
}

/** Not an outage: the run answers 404 while its job answers; counted towards "lost". */
export class LostRun extends Error {
  constructor (readonly misses: number) { super(`run answers 404 (${misses}/${LOST_AFTER})`) }
}

/**
 * Not an outage: this run's stage API failed (a 500 from one run's tree, a timeout on a huge run, a
 * 403 from a folder's authorization) while its api/json answers; the build backs off on its own.
 */
export class StageApiFailed extends Error {
  constructor (
    readonly cause: JenkinsError,
    message = `the run's stage API failed (${cause.message}); its api/json answers`
  ) {
    super(message)
  }
}

/**
 * Not an outage either: the run's stage API and its api/json both fail while Jenkins itself answers
 * (a folder's authorization denying Item.READ on this job: 403 everywhere under it); backs off the same way.
 */
export class RunUnreadable extends StageApiFailed {
  constructor (cause: JenkinsError, run: JenkinsError) {
    super(cause, `the run's stage API (${cause.message}) and its api/json (${run.message}) fail; Jenkins answers`)
  }
}
