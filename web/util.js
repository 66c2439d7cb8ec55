import { fmtSeconds, t } from './i18n.js'
import { html } from './html.js'

export { html }

/** Seconds between start and end (or now while running) → "1h 2m", "3m 4s", "5s", "< 1 s"; no start → "—". */
export function fmtDuration (start, end, now = Date.now() / 1000) {
  if (start == null) return '—'
  return fmtSeconds(Math.max(0, (end ?? now) - start))
}

export const STATUSES = ['Queued', 'Running', 'Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped', 'Paused']
export const FINAL = new Set(['Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped'])
export const FAILED = new Set(['Fail', 'Unstable'])

/** A status word in the current language. */
export const statusText = (status) => t(`status.${status}`)

export const StatusBadge = ({ status }) => html`<span class=${`badge status-${status}`}>${statusText(status)}</span>`

// CSI sequences (colours, cursor) and other escapes that a console log carries: never shown as text
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g
export const stripAnsi = (s) => String(s ?? '').replace(ANSI, '')

/** The parameters a person set: without the two the service injects on every trigger. */
export const INJECTED = new Set(['DevOpsPlanID', 'BuildIndex'])
export const userParams = (build) => (build?.Parameter?.parameter ?? []).filter((p) => !INJECTED.has(p.name))

/** Shows an API error in words; a missing token is asked for once, by the app's prompt. */
export const ErrorBox = ({ error }) => {
  if (error == null || error.code === 1004) return null
  const text = error.code === 1005 ? t('error.forbidden') : error.message
  return html`<p class="error" role="alert">${text}${error.code ? ` (${t('error.code', { code: error.code })})` : ''}</p>`
}

/** Who started a build and why: the token's name, Jenkins' cause, or "through the API". */
export function whoWhy (b) {
  if (b.StartedBy) return t('build.startedBy', { name: b.StartedBy })
  if (b.Cause) return b.Cause
  return b.Source === 'jenkins' ? t('build.byJenkins') : t('build.byApi')
}
