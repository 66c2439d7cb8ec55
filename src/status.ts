// The status vocabulary (docs/API.md): canonical names, accepted synonyms, and the forward-only rule.

export const STATUSES = ['Queued', 'Running', 'Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped', 'Paused'] as const
export type Status = typeof STATUSES[number]

export const TERMINAL: ReadonlySet<Status> = new Set<Status>(['Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped'])

const SYNONYMS: Record<Status, string[]> = {
  Queued: ['pending', 'waiting', 'queued'],
  Running: ['running', 'in_progress', 'started', 'building'],
  Pass: ['pass', 'passed', 'success', 'succeeded', 'ok'],
  Fail: ['fail', 'failed', 'failure', 'error'],
  Aborted: ['aborted', 'cancelled', 'canceled'],
  Unstable: ['unstable'],
  Skipped: ['skipped', 'not_executed', 'not_built'],
  Paused: ['paused', 'paused_pending_input']
}

const BY_WORD = new Map<string, Status>()
for (const status of STATUSES) {
  for (const word of SYNONYMS[status]) BY_WORD.set(word, status)
}

/** Every word accepted on input, lowercase, for documentation and tests. */
export const ACCEPTED_WORDS: readonly string[] = [...BY_WORD.keys()]

/** The accepted words that are not a canonical name in lowercase. */
export const SYNONYM_WORDS: readonly string[] = ACCEPTED_WORDS.filter((w) => !STATUSES.some((s) => s.toLowerCase() === w))

/** Canonical status for an input word (case-insensitive, surrounding spaces ignored), or undefined. */
export function parseStatus (word: string): Status | undefined {
  return BY_WORD.get(word.trim().toLowerCase())
}

// Queued → Running ⇄ Paused → terminal; terminal → terminal is allowed (last word wins).
function rank (s: Status): number {
  if (s === 'Queued') return 0
  if (s === 'Running' || s === 'Paused') return 1
  return 2
}

/** Whether a record at `from` may move to `to`; a backward move is ignored, not an error. */
export function canMove (from: Status, to: Status): boolean {
  return rank(to) >= rank(from)
}

export const isTerminal = (s: Status): boolean => TERMINAL.has(s)
