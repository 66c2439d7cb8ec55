import { fmtTime, t } from './i18n.js'
import { html } from './html.js'
import { unknownText } from './liveness.js'
import { fmtDuration, statusText } from './util.js'

const MIN_WIDTH = 0.8 // percent: a stage of under a second still shows

/** Where a stage's bar goes (percent of the track): at least MIN_WIDTH wide and never past the end. */
export function barOf (start, end, t0, t1) {
  const span = Math.max(1, t1 - t0)
  const width = Math.max(MIN_WIDTH, ((end - start) / span) * 100)
  const left = Math.min(((start - t0) / span) * 100, 100 - width)
  return { left: Math.max(0, left), width: Math.min(width, 100) }
}

/**
 * Gantt-like bars from StartTime/EndTime; a running stage reaches "now", or, while its Jenkins is
 * unreachable (unknownSince, epoch ms), the moment it went away, with "?" for its duration.
 */
export function Timeline ({ stages, selected, onSelect, now = Date.now() / 1000, unknownSince = null }) {
  if (unknownSince != null) now = Math.min(now, unknownSince / 1000)
  const timed = stages.filter((s) => s.StartTime != null)
    .sort((a, b) => a.StartTime - b.StartTime || a.StageID - b.StageID)
  if (timed.length === 0) return html`<p class="empty">${t('timeline.none')}</p>`
  const t0 = Math.min(...timed.map((s) => s.StartTime))
  const t1 = Math.max(...timed.map((s) => s.EndTime ?? now), t0 + 1)
  return html`
    <div class="timeline" role="list" aria-label=${t('timeline.label')}>
      <div class="tl-scale"><span>${fmtTime(t0)}</span><span>${fmtDuration(t0, t1)}</span></div>
      ${timed.map((s) => {
        const { left, width } = barOf(s.StartTime, s.EndTime ?? now, t0, t1)
        const unknown = unknownText(s, unknownSince)
        const dur = unknown ?? fmtDuration(s.StartTime, s.EndTime, now)
        return html`
          <div key=${s.StageID} role="listitem" class=${`tl-row${s.StageID === selected ? ' selected' : ''}`}>
            <button type="button" class="tl-name link" onClick=${() => onSelect(s.StageID)} title=${s.StageName}>${s.StageName}</button>
            <div class="tl-track">
              <div class=${`tl-bar status-${s.Status}`} ref=${(el) => { if (el) { el.style.left = `${left}%`; el.style.width = `${width}%` } }}
                title=${`${s.StageName}: ${statusText(s.Status)}, ${dur}`} />
            </div>
            ${unknown != null
              ? html`<span class="tl-dur unknown" title=${unknown}>?<span class="sr"> ${unknown}</span></span>`
              : html`<span class="tl-dur">${dur}</span>`}
          </div>`
      })}
    </div>`
}
