/* global location, EventSource */
import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { BASE, authNeeded, getToken } from './api.js'
import { fmtClock, t } from './i18n.js'
import { html } from './html.js'

/** Poll interval in ms: 5 s, or `?poll=500` in the page's URL (tests, demos); at least 200. */
export function pollInterval () {
  const n = Number(new URLSearchParams(location.search).get('poll'))
  return Number.isFinite(n) && n > 0 ? Math.max(200, n) : 5000
}

/**
 * Keeps a page current: refetch() on every stream event (debounced), and on a timer in any case,
 * so a page is right even when the stream is not available (404, proxy) or silently broken.
 * Polling costs little: unchanged answers are 304 (the API sends ETags). Nothing polls while the
 * server waits for a token: requests without one would only count as failed authentications.
 */
export function useLive (filter, refetch, authVersion = 0) {
  const key = JSON.stringify(filter)
  useEffect(() => {
    if (authNeeded()) return
    const interval = pollInterval()
    let pending = null
    const run = () => { if (!authNeeded()) refetch() }
    const soon = () => {
      if (pending == null) pending = setTimeout(() => { pending = null; run() }, 150)
    }
    const timer = setInterval(run, interval)
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
  }, [key, refetch, authVersion])
}

/** The current time in epoch seconds, ticking every `ms` (elapsed times move smoothly between polls). */
export function useNow (ms = 1000) {
  const [now, setNow] = useState(Date.now() / 1000)
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now() / 1000), ms)
    return () => clearInterval(id)
  }, [ms])
  return now
}

/** "updated HH:MM:SS"; red once three poll intervals passed without a successful refresh. */
export function Stamp ({ at }) {
  const now = useNow(500) * 1000
  if (at == null) return null
  const stale = now - at > 3 * pollInterval()
  return html`<span class=${`stamp${stale ? ' stale' : ''}`} role="status"
    title=${stale ? t('live.staleHint') : t('live.liveHint')}>
    ${t('live.updated', { time: fmtClock(new Date(at)) })}${stale ? ` (${t('live.stale')})` : ''}</span>`
}
