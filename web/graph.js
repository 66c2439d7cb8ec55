import dagre from 'dagre'
import { useState } from 'preact/hooks'
import { visibleGraph } from './groups.js'
import { fmtDuration, html } from './util.js'
import { stageNorm } from './progress.js'

const NODE_W = 150
const NODE_H = 64

/** Lays the visible nodes out with dagre, one edge per predecessor. */
export function layout (nodes, edges, rankdir = 'LR') {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir, nodesep: 18, ranksep: rankdir === 'LR' ? 36 : 28, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H })
  for (const [from, to] of edges) g.setEdge(from, to)
  dagre.layout(g)
  const { width, height } = g.graph()
  return {
    width,
    height,
    nodes: nodes.map((n) => ({ ...n, ...g.node(n.id) })),
    edges: g.edges().map((e) => ({ key: `${e.v}-${e.w}`, points: g.edge(e).points }))
  }
}

const path = (pts) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')
const clip = (s, n) => [...s].length > n ? [...s].slice(0, n - 1).join('') + '…' : s

function GroupToggles ({ groups, stages, collapsed, toggle }) {
  if (groups.length === 0) return null
  const name = (id) => stages.find((s) => s.StageID === id)?.StageName ?? `#${id}`
  return html`<div class="group-toggles">
    ${groups.map((g) => html`<button type="button" key=${g.key} aria-expanded=${collapsed.has(g.key) ? 'false' : 'true'} onClick=${() => toggle(g.key)}>
      ${collapsed.has(g.key) ? '▸ expand' : '▾ collapse'} ${g.members.length} parallel after ${g.members[0].PreStageID.map(name).join(' + ')}
    </button>`)}
  </div>`
}

/** The stage DAG as SVG; nodes are focusable buttons (Tab, Enter/Space or click selects; a collapsed group expands). */
export function StageGraph ({ stages, selected, onSelect, norms }) {
  const [collapsed, setCollapsed] = useState(() => new Set())
  if (stages.length === 0) return html`<p class="empty">No stages reported yet.</p>`
  const toggle = (key) => setCollapsed((c) => { const n = new Set(c); if (n.has(key)) n.delete(key); else n.add(key); return n })
  const vis = visibleGraph(stages, collapsed)
  // a narrow screen stacks the graph top to bottom instead of scrolling sideways
  const { width, height, nodes, edges } = layout(vis.nodes, vis.edges, globalThis.innerWidth < 700 ? 'TB' : 'LR')
  const act = (n) => n.group ? toggle(n.id) : onSelect(n.stage.StageID)
  const key = (n) => (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); act(n) }
  }
  const isSel = (n) => n.stage != null && n.stage.StageID === selected
  // the plan's usual duration of the stage, and whether it now runs past its P90 (progress.js)
  const norm = (n) => n.stage == null ? { usual: null, late: false } : stageNorm(n.stage, norms?.get(n.stage.StageName))
  return html`
    <${GroupToggles} groups=${vis.groups} stages=${stages} collapsed=${collapsed} toggle=${toggle} />
    <div class="graph-wrap">
      <svg class="graph" viewBox=${`0 0 ${width} ${height}`} width=${width} style="max-width:100%;height:auto" role="group" aria-label="stage graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        ${edges.map((e) => html`<path key=${e.key} class="edge" d=${path(e.points)} marker-end="url(#arrow)" />`)}
        ${nodes.map((n) => html`
          <g key=${n.id} class=${`node stage-${n.status}${n.group ? ' group' : ''}${isSel(n) ? ' selected' : ''}${norm(n).late ? ' late' : ''}`}
             data-stage=${n.stage?.StageName} data-group=${n.group ? n.id : undefined}
             transform=${`translate(${n.x - NODE_W / 2},${n.y - NODE_H / 2})`}
             tabindex="0" role="button" aria-pressed=${n.group ? undefined : isSel(n) ? 'true' : 'false'}
             aria-label=${n.group ? `${n.name}: ${n.status}, collapsed; Enter expands` : `${n.name}: ${n.status}`}
             onClick=${() => act(n)} onKeyDown=${key(n)}>
            <title>${n.name} — ${n.status}${norm(n).late ? ` — ${norm(n).lateText}` : ''}</title>
            <rect width=${NODE_W} height=${NODE_H} rx="6" />
            <text class="name" x="10" y="21">${n.group ? '▸ ' : ''}${clip(n.name, 16)}</text>
            <text class="meta" x="10" y="40">${n.status} · ${fmtDuration(n.start, n.end)}</text>
            ${norm(n).usual ? html`<text class="usual" x="10" y="56">${norm(n).late ? '⚠ ' : ''}${norm(n).usual}</text>` : null}
          </g>`)}
      </svg>
    </div>`
}
