// Jenkins' queue reasons end with a countdown that changes every time they are read:
// BlockedBecauseOfBuildInProgress "Build #6 is already in progress (ETA: 1 min 2 sec)" (jenkins/model/Messages.properties)
// and Queue.WaitingItem "In the quiet period. Expires in 4.9 sec" (hudson/model/Messages.properties).
// Stored with the countdown, a build waiting an hour would record a new reason on every poll.

const ETA = /\s*\(ETA:[^)]*\)/g
const EXPIRES = /\s*Expires in\s[^.]*(?:\.\d+[^.]*)?\.?\s*$/

/** The reason without its countdown tail: "Build #6 is already in progress", "In the quiet period." */
export function withoutCountdown (why: string): string {
  return why.replace(ETA, '').replace(EXPIRES, '').trim()
}
