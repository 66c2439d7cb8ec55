import { h } from 'preact'
import htm from 'htm'
import { TokenForm } from './token.js'

export const html = htm.bind(h)

const pad = (n) => String(n).padStart(2, '0')

/** Epoch seconds → "YYYY-MM-DD HH:MM:SS" in the browser's zone; null → "—". */
export function fmtTime (sec) {
  if (sec == null) return '—'
  const d = new Date(sec * 1000)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`

/** Seconds between start and end (or now while running) → "1h 2m", "3m 4s", "5s". */
export function fmtDuration (start, end, now = Date.now() / 1000) {
  if (start == null) return '—'
  const s = Math.max(0, Math.round((end ?? now) - start))
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m`
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${s}s`
}

export const STATUSES = ['Queued', 'Running', 'Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped', 'Paused']

export const StatusBadge = ({ status }) => html`<span class=${`badge status-${status}`}>${status}</span>`

/** Shows an API error; with 1004/1005 also the field to give a token. */
export const ErrorBox = ({ error }) => error == null
  ? null
  : html`<p class="error" role="alert">${error.message}${error.code ? ` (ErrorCode ${error.code})` : ''}</p>
    ${error.code === 1004 || error.code === 1005 ? html`<${TokenForm} code=${error.code} />` : null}`
