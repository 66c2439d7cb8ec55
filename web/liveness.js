import { createContext } from '/ui/vendor/preact.mjs'
import { useContext, useEffect, useState } from '/ui/vendor/hooks.mjs'
import { fmtHourMinute, t } from './i18n.js'
import { html } from './html.js'
import { pollInterval } from './live.js'

// What the server knows about each Jenkins (/readyz, no token needed): a page marks the running
// builds of an unreachable instance "status unknown since HH:MM" instead of a duration that counts on.
export const Liveness = createContext({ down: {} })

/**
 * { down: { <instance name>: since (epoch ms) }, reasons, stages: { <name>: the stage API found there } },
 * polled from /readyz. "default" is JENKINS_URL's.
 */
export function useReadiness () {
  const [state, setState] = useState({ down: {} })
  useEffect(() => {
    let stop = false
    const since = {}
    const read = async () => {
      try {
        const res = await fetch('/readyz', { cache: 'no-store' })
        const body = await res.json()
        const down = {}
        for (const [name, j] of Object.entries(body.Jenkins ?? {})) {
          // the server's time of the first failure, so every tab says the same; else when this one noticed
          if (j.state !== 'ok' && j.state !== 'not configured') down[name] = j.since ?? (since[name] ??= Date.now())
          else delete since[name]
        }
        const each = (field) => Object.fromEntries(Object.entries(body.Jenkins ?? {}).map(([n, j]) => [n, j[field]]))
        if (!stop) setState({ down, reasons: each('state'), stages: each('stages') })
      } catch { /* the service itself unreachable: the pages' stamps say so */ }
    }
    read()
    const id = setInterval(read, Math.max(2000, pollInterval()))
    return () => { stop = true; clearInterval(id) }
  }, [])
  return state
}

/** Since when (epoch ms) the build's Jenkins is unreachable, or null. */
export function useUnknownSince (jenkinsName) {
  const { down } = useContext(Liveness)
  return down[jenkinsName ?? 'default'] ?? null
}

/**
 * Where a stage's node has its page on the build's Jenkins, from the stage API the server found there:
 * Pipeline Graph View's path of that release (`stages` since 777, `pipeline-overview` before, …), or
 * `execution` (the node's own page) where only stage view is installed; null while unknown.
 */
export function useNodePath (jenkinsName) {
  const { stages } = useContext(Liveness)
  const found = stages?.[jenkinsName ?? 'default'] ?? ''
  const older = /^graph-view \(([\w-]+)\/tree\)/.exec(found)
  if (older != null) return older[1]
  if (found.startsWith('graph-view')) return 'stages'
  if (found.startsWith('stage-view')) return 'execution'
  return null
}

export function LivenessBanner () {
  const { down, reasons } = useContext(Liveness)
  const names = Object.keys(down)
  if (names.length === 0) return null
  return html`<div class="banner" role="alert">
    ${names.map((n) => html`<p key=${n} title=${reasons?.[n] ?? ''}>${t('live.jenkinsDown', { name: n === 'default' ? 'Jenkins' : n, time: fmtHourMinute(new Date(down[n])) })}</p>`)}
  </div>`
}

const ACTIVE = new Set(['Running', 'Queued', 'Paused'])

/**
 * "status unknown since HH:MM" for a build or stage that has not ended while its Jenkins is unreachable
 * since `since` (epoch ms, or null), instead of a duration that keeps counting; null otherwise.
 */
export function unknownText (item, since) {
  if (since == null || item == null || item.EndTime != null || !ACTIVE.has(item.Status)) return null
  return t('live.unknownSince', { time: fmtHourMinute(new Date(since)) })
}

/** A running build's elapsed time, or "status unknown since HH:MM" while its Jenkins is unreachable. */
export function Elapsed ({ build, now, children }) {
  const unknown = unknownText(build, useUnknownSince(build.JenkinsName))
  if (unknown != null) return html`<span class="unknown">${unknown}</span>`
  return children
}
