import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { get } from './api.js'
import { fmtTime, t, tOr } from './i18n.js'
import { html } from './html.js'
import { ErrorBox, StatusBadge, stripAnsi } from './util.js'

/** The build's event history (Build/events), newest last; read only while open, again when the page refreshes. */
export function History ({ planId, buildIndex, at }) {
  const [open, setOpen] = useState(false)
  const [state, setState] = useState({ list: null, error: null })
  useEffect(() => {
    if (!open) return
    let stop = false
    get('/Build/events', { DevOpsPlanID: planId, BuildIndex: buildIndex, PageSize: 500 }).then(
      (r) => { if (!stop) setState({ list: r.EventList, error: null }) },
      (e) => { if (!stop) setState((s) => ({ ...s, error: e })) })
    return () => { stop = true }
  }, [planId, buildIndex, at, open])
  return html`<details class="history-box" onToggle=${(e) => setOpen(e.currentTarget.open)}>
    <summary>${t('history.title')}</summary>
    ${!open
? null
: state.list == null
? html`<${ErrorBox} error=${state.error} />`
: state.list.length === 0
? html`<p class="empty">${t('history.none')}</p>`
: html`
    <div class="history-wrap" tabindex="0" role="region" aria-label=${t('history.title')}>
      <table class="grid history">
        <thead><tr><th scope="col">${t('history.time')}</th><th scope="col">${t('history.source')}</th><th scope="col">${t('history.stage')}</th><th scope="col">${t('builds.status')}</th><th scope="col">${t('history.detail')}</th></tr></thead>
        <tbody>
          ${state.list.map((e) => html`
            <tr key=${e.EventID}>
              <td>${fmtTime(e.Time)}</td><td>${tOr(`source.${e.Source}`, e.Source)}</td><td>${e.StageName || html`<i>${t('history.build')}</i>`}</td>
              <td>${e.Status ? html`<${StatusBadge} status=${e.Status} />` : '—'}</td>
              <td><code>${e.Detail && Object.keys(e.Detail).length ? stripAnsi(JSON.stringify(e.Detail)) : ''}</code></td>
            </tr>`)}
        </tbody>
      </table>
    </div>`}
  </details>`
}
