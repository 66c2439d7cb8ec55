import { fmtDuration, fmtTime, html } from './util.js'

/** Gantt-like bars from StartTime/EndTime; a running stage reaches "now". */
export function Timeline ({ stages, selected, onSelect, now = Date.now() / 1000 }) {
  const timed = stages.filter((s) => s.StartTime != null)
    .sort((a, b) => a.StartTime - b.StartTime || a.StageID - b.StageID)
  if (timed.length === 0) return html`<p class="empty">No stage has started yet.</p>`
  const t0 = Math.min(...timed.map((s) => s.StartTime))
  const t1 = Math.max(...timed.map((s) => s.EndTime ?? now), t0 + 1)
  const pct = (t) => ((t - t0) / (t1 - t0)) * 100
  return html`
    <div class="timeline" role="list" aria-label="stage timeline">
      <div class="tl-scale"><span>${fmtTime(t0)}</span><span>${fmtDuration(t0, t1)}</span></div>
      ${timed.map((s) => {
        const left = pct(s.StartTime)
        // a stage of under a second still gets a visible sliver
        const width = Math.max(0.8, pct(s.EndTime ?? now) - left)
        return html`
          <div key=${s.StageID} role="listitem" class=${`tl-row${s.StageID === selected ? ' selected' : ''}`}>
            <button type="button" class="tl-name link" onClick=${() => onSelect(s.StageID)} title=${s.StageName}>${s.StageName}</button>
            <div class="tl-track">
              <div class=${`tl-bar badge status-${s.Status}`} style=${`left:${left}%;width:${Math.min(width, 100 - left)}%`}
                title=${`${s.StageName}: ${s.Status}, ${fmtDuration(s.StartTime, s.EndTime, now)}`} />
            </div>
            <span class="tl-dur">${fmtDuration(s.StartTime, s.EndTime, now)}</span>
          </div>`
      })}
    </div>`
}
