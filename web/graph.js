import dagre from 'dagre'
import { fmtDuration, html } from './util.js'

const NODE_W = 150
const NODE_H = 52

/** Lays the stages out left to right with dagre: one node per stage, one edge per PreStageID. */
export function layout (stages, rankdir = 'LR') {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir, nodesep: 18, ranksep: rankdir === 'LR' ? 36 : 28, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(stages.map((s) => s.StageID))
  for (const s of stages) g.setNode(String(s.StageID), { width: NODE_W, height: NODE_H })
  for (const s of stages) {
    for (const p of s.PreStageID) if (ids.has(p)) g.setEdge(String(p), String(s.StageID))
  }
  dagre.layout(g)
  const { width, height } = g.graph()
  const nodes = stages.map((s) => ({ stage: s, ...g.node(String(s.StageID)) }))
  const edges = g.edges().map((e) => ({ key: `${e.v}-${e.w}`, points: g.edge(e).points }))
  return { width, height, nodes, edges }
}

const path = (pts) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')
const clip = (s, n) => [...s].length > n ? [...s].slice(0, n - 1).join('') + '…' : s

/** The stage DAG as SVG; nodes are focusable buttons (Tab, Enter/Space or click selects). */
export function StageGraph ({ stages, selected, onSelect }) {
  if (stages.length === 0) return html`<p class="empty">No stages reported yet.</p>`
  // a narrow screen stacks the graph top to bottom instead of scrolling sideways
  const { width, height, nodes, edges } = layout(stages, globalThis.innerWidth < 700 ? 'TB' : 'LR')
  const key = (id) => (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(id) }
  }
  return html`
    <div class="graph-wrap">
      <svg class="graph" viewBox=${`0 0 ${width} ${height}`} width=${width} style="max-width:100%;height:auto" role="group" aria-label="stage graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        ${edges.map((e) => html`<path key=${e.key} class="edge" d=${path(e.points)} marker-end="url(#arrow)" />`)}
        ${nodes.map(({ stage: s, x, y }) => html`
          <g key=${s.StageID} class=${`node stage-${s.Status}${s.StageID === selected ? ' selected' : ''}`}
             data-stage=${s.StageName} transform=${`translate(${x - NODE_W / 2},${y - NODE_H / 2})`}
             tabindex="0" role="button" aria-pressed=${s.StageID === selected ? 'true' : 'false'}
             aria-label=${`${s.StageName}: ${s.Status}`}
             onClick=${() => onSelect(s.StageID)} onKeyDown=${key(s.StageID)}>
            <title>${s.StageName} — ${s.Status}</title>
            <rect width=${NODE_W} height=${NODE_H} rx="6" />
            <text class="name" x="10" y="21">${clip(s.StageName, 16)}</text>
            <text class="meta" x="10" y="40">${s.Status} · ${fmtDuration(s.StartTime, s.EndTime)}</text>
          </g>`)}
      </svg>
    </div>`
}
