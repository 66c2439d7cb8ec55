import { StatusBadge, fmtDuration, fmtTime, html } from './util.js'

const isHttp = (u) => typeof u === 'string' && /^https?:\/\//i.test(u)

/** The selected stage: times, its Jenkins console link (Detail.URL) and Detail as pretty JSON. */
export function StageDetail ({ stage, stages = [] }) {
  if (stage == null) return html`<section class="panel stage-detail"><p class="empty">Select a stage in the graph.</p></section>`
  const url = stage.Detail?.URL
  return html`
    <section class="panel stage-detail" aria-live="polite">
      <h2>${stage.StageName} <${StatusBadge} status=${stage.Status} /></h2>
      <dl class="facts">
        <dt>Started</dt><dd>${fmtTime(stage.StartTime)}</dd>
        <dt>Ended</dt><dd>${fmtTime(stage.EndTime)}</dd>
        <dt>Duration</dt><dd>${fmtDuration(stage.StartTime, stage.EndTime)}</dd>
        <dt>After</dt><dd>${stage.PreStageID.length ? stage.PreStageID.map((id) => stages.find((s) => s.StageID === id)?.StageName ?? `#${id}`).join(', ') : '—'}</dd>
      </dl>
      ${isHttp(url) ? html`<p><a class="console" href=${url} target="_blank" rel="noopener">Jenkins console ↗</a></p>` : null}
      <pre class="json">${JSON.stringify(stage.Detail ?? {}, null, 2)}</pre>
    </section>`
}
