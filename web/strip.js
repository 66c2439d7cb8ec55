import { t } from './i18n.js'
import { html } from './html.js'
import { fmtDuration, statusText } from './util.js'

/** A build's stages as a row of small coloured cells, in StageID order (GitLab's mini graph, flattened). */
export function StageStrip ({ stages }) {
  if (stages == null || stages.length === 0) return null
  const label = t('strip.label', { pass: stages.filter((s) => s.Status === 'Pass').length, total: stages.length })
  return html`<span class="strip" role="img" aria-label=${label} title=${stages.map((s) => `${s.StageName}: ${statusText(s.Status)}`).join('\n')}>
    ${stages.map((s) => html`<span key=${s.StageID} class=${`cell status-${s.Status}`} />`)}
  </span>`
}

/** Stage names in order of first appearance, oldest build first: the columns of the grid. */
export function gridColumns (builds) {
  const seen = new Map()
  for (const b of [...builds].reverse()) for (const s of b.StageList) if (!seen.has(s.StageName)) seen.set(s.StageName, seen.size)
  return [...seen.keys()]
}

/** Stage View's habit: the last builds × their stages, each cell the stage's status and time. */
export function PlanGrid ({ builds, base, now }) {
  if (builds == null || builds.length === 0) return html`<p class="empty">${t('grid.empty')}</p>`
  const cols = gridColumns(builds)
  if (cols.length === 0) return html`<p class="empty">${t('grid.noStages')}</p>`
  return html`<div class="table-wrap grid-wrap" tabindex="0" role="region" aria-label=${t('grid.title')}>
    <table class="stage-grid">
      <thead><tr><th scope="col">${t('grid.build')}</th>${cols.map((c) => html`<th scope="col" title=${c}><span class="clip">${c}</span></th>`)}</tr></thead>
      <tbody>
        ${builds.map((b) => {
          const by = new Map(b.StageList.map((s) => [s.StageName, s]))
          return html`<tr key=${b.BuildIndex}>
            <th scope="row"><a href=${`${base}/build/${b.BuildIndex}`}>#${b.BuildIndex}</a></th>
            ${cols.map((c) => {
              const s = by.get(c)
              return s == null
                ? html`<td class="none" />`
                : html`<td class=${`gcell status-${s.Status}`} title=${`${c}: ${statusText(s.Status)}`}>
                  <span class="sr">${statusText(s.Status)} </span>${s.StartTime == null ? '' : fmtDuration(s.StartTime, s.EndTime, now)}</td>`
            })}
          </tr>`
        })}
      </tbody>
    </table></div>`
}
