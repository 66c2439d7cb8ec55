import { useEffect, useState } from 'preact/hooks'
import { get } from './api.js'
import { ErrorBox, StatusBadge, fmtTime, html } from './util.js'

/** The build's event history (Build/events), newest last; refetched when the page refreshes. */
export function History ({ planId, buildIndex, at }) {
  const [state, setState] = useState({ list: null, error: null })
  useEffect(() => {
    let stop = false
    get('/Build/events', { DevOpsPlanID: planId, BuildIndex: buildIndex, PageSize: 500 }).then(
      (r) => { if (!stop) setState({ list: r.EventList, error: null }) },
      (e) => { if (!stop) setState((s) => ({ ...s, error: e })) })
    return () => { stop = true }
  }, [planId, buildIndex, at])
  if (state.list == null) return html`<${ErrorBox} error=${state.error} />`
  if (state.list.length === 0) return html`<p class="empty">No events yet.</p>`
  return html`
    <div class="history-wrap">
      <table class="grid history">
        <thead><tr><th>Time</th><th>Source</th><th>Stage</th><th>Status</th><th>Detail</th></tr></thead>
        <tbody>
          ${state.list.map((e) => html`
            <tr key=${e.EventID}>
              <td>${fmtTime(e.Time)}</td><td>${e.Source}</td><td>${e.StageName || html`<i>build</i>`}</td>
              <td>${e.Status ? html`<${StatusBadge} status=${e.Status} />` : '—'}</td>
              <td><code>${e.Detail && Object.keys(e.Detail).length ? JSON.stringify(e.Detail) : ''}</code></td>
            </tr>`)}
        </tbody>
      </table>
    </div>`
}
