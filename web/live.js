/* global location, EventSource */
import { useEffect, useState } from 'preact/hooks'
import { BASE, getToken } from './api.js'
import { clock, html } from './util.js'

/** Poll interval in ms: 5 s, or `?poll=500` in the page's URL (tests, demos); at least 200. */
export function pollInterval () {
  const n = Number(new URLSearchParams(location.search).get('poll'))
  return Number.isFinite(n) && n > 0 ? Math.max(200, n) : 5000
}

/**
 * Keeps a page current: refetch() on every stream event (debounced), and on a timer in any case,
 * so a page is right even when the stream is not available (404, proxy) or silently broken.
 * Polling costs little: unchanged answers are 304 (the API sends ETags).
 */
export function useLive (filter, refetch) {
  const key = JSON.stringify(filter)
  useEffect(() => {
    const interval = pollInterval()
    let pending = null
    const soon = () => {
      if (pending == null) pending = setTimeout(() => { pending = null; refetch() }, 150)
    }
    const timer = setInterval(refetch, interval)
    let es = null
    if (typeof EventSource === 'function') {
      const url = new URL(`${BASE}/events`, location.origin)
      for (const [k, v] of Object.entries(filter)) url.searchParams.set(k, String(v))
      // EventSource cannot send headers: the stream alone accepts the token in the query
      const token = getToken()
      if (token) url.searchParams.set('access_token', token)
      es = new EventSource(url)
      es.onmessage = soon
    }
    return () => { clearInterval(timer); clearTimeout(pending); es?.close() }
  }, [key, refetch])
}

/** "last updated HH:MM:SS"; red once three poll intervals passed without a successful refresh. */
export function Stamp ({ at }) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(t)
  }, [])
  if (at == null) return null
  const stale = now - at > 3 * pollInterval()
  return html`<span class=${`stamp${stale ? ' stale' : ''}`} role="status"
    title=${stale ? 'no successful refresh for a while: the page may be out of date' : 'refreshed live'}>
    last updated ${clock(new Date(at))}${stale ? ' (stale)' : ''}</span>`
}
