/* global document, getComputedStyle */
import dagre from '/ui/vendor/dagre.mjs'
import { useEffect, useRef } from '/ui/vendor/hooks.mjs'
import { t } from './i18n.js'
import { html } from './html.js'
import { containers } from './stages.js'
import { unknownText } from './liveness.js'
import { stageNorm } from './progress.js'
import { fmtDuration, statusText } from './util.js'

const NODE_W = 172
const NODE_H = 50
const NODE_H_USUAL = 64 // with a third line: the stage's usual duration
const TEXT_W = NODE_W - 20
const HEAD = 26 // a container's title row above its branches

let ctx = null
/** A name clipped to what fits `px` of rendered width (CJK glyphs are twice as wide as Latin ones). */
export function clipToWidth (name, px = TEXT_W, font) {
  if (ctx == null) ctx = document.createElement('canvas').getContext('2d')
  ctx.font = font ?? `600 13px ${getComputedStyle(document.body).fontFamily}`
  if (ctx.measureText(name).width <= px) return name
  const chars = [...name]
  let lo = 0
  let hi = chars.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (ctx.measureText(chars.slice(0, mid).join('') + '…').width <= px) lo = mid
    else hi = mid - 1
  }
  return chars.slice(0, lo).join('') + '…'
}

/**
 * Lays the stages out with dagre at a fixed scale: a parallel stage is a cluster holding its branches
 * (edges run from what precedes it into each branch), every other stage a node.
 */
export function layout (stages, rankdir = 'LR', nodeH = NODE_H) {
  const boxes = containers(stages)
  const g = new dagre.graphlib.Graph({ compound: true })
  g.setGraph({ rankdir, nodesep: 36, ranksep: rankdir === 'LR' ? 40 : 30, marginx: 10, marginy: 10 + HEAD })
  g.setDefaultEdgeLabel(() => ({}))
  const byId = new Map(stages.map((s) => [s.StageID, s]))
  const id = (n) => String(n)
  for (const s of stages) {
    if (boxes.has(s.StageID)) g.setNode(`c${s.StageID}`, { paddingTop: HEAD })
    else g.setNode(id(s.StageID), { width: NODE_W, height: nodeH })
  }
  for (const [p, list] of boxes) {
    for (const b of list) g.setParent(boxes.has(b) ? `c${b}` : id(b), `c${p}`)
    const outer = [...boxes].find(([, l]) => l.includes(p))
    if (outer != null) g.setParent(`c${p}`, `c${outer[0]}`)
  }
  // an edge's ends are stages: a container's predecessors stand in for it as a source, its branches as a target
  const sources = (n, seen = new Set()) => {
    if (!boxes.has(n)) return [n]
    if (seen.has(n)) return []
    seen.add(n)
    return (byId.get(n)?.PreStageID ?? []).flatMap((p) => sources(p, seen))
  }
  const targets = (n) => boxes.has(n) ? boxes.get(n).flatMap(targets) : [n]
  for (const s of stages) {
    if (boxes.has(s.StageID)) continue
    for (const p of s.PreStageID) {
      if (!byId.has(p)) continue
      for (const from of sources(p)) {
        for (const to of targets(s.StageID)) if (from !== to && byId.has(from)) g.setEdge(id(from), id(to))
      }
    }
  }
  dagre.layout(g)
  const { width, height } = g.graph()
  const nodes = []
  const clusters = []
  for (const s of stages) {
    if (boxes.has(s.StageID)) {
      const c = g.node(`c${s.StageID}`)
      clusters.push({ stage: s, x: c.x - c.width / 2, y: c.y - c.height / 2 - HEAD, w: c.width, h: c.height + HEAD })
    } else {
      const n = g.node(id(s.StageID))
      nodes.push({ stage: s, x: n.x - NODE_W / 2, y: n.y - nodeH / 2 })
    }
  }
  const edges = g.edges().map((e) => ({ key: `${e.v}-${e.w}`, points: g.edge(e).points }))
  return { width, height, nodes, clusters, edges }
}

const path = (pts) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')

/** The stage DAG as SVG at a readable fixed scale inside a scrolling box; nodes are buttons (Tab, Enter/Space, click). */
export function StageGraph ({ stages, selected, onSelect, now, narrow, norms, unknownSince = null }) {
  const wrap = useRef(null)
  const shownFor = useRef(undefined)
  // the plan's usual duration of each stage, and whether it ran past its P90 (progress.js): while its
  // Jenkins is unreachable, as of the moment it went away
  const normAt = unknownSince == null ? now : Math.min(now, unknownSince / 1000)
  const norm = (s) => stageNorm(s, norms?.get(s.StageName), normAt)
  // a running stage's second line: its duration, or "status unknown since HH:MM" while its Jenkins is unreachable
  const meta = (s) => unknownText(s, unknownSince) ?? `${statusText(s.Status)} · ${fmtDuration(s.StartTime, s.EndTime, now)}`
  const nodeH = stages.some((s) => norm(s).usual != null) ? NODE_H_USUAL : NODE_H
  const laid = stages.length === 0 ? null : layout(stages, narrow ? 'TB' : 'LR', nodeH)
  // a large graph opens on its selected (failed or running) stage, else its start: dagre may put the
  // first stage far down a tall picture. Once per selection, so a reader's own scrolling is kept.
  useEffect(() => {
    if (laid == null || wrap.current == null || shownFor.current === selected) return
    shownFor.current = selected
    const at = laid.nodes.find((n) => n.stage.StageID === selected) ?? laid.clusters.find((n) => n.stage.StageID === selected) ??
      [...laid.nodes].sort((a, b) => a.x - b.x || a.y - b.y)[0]
    if (at == null) return
    wrap.current.scrollLeft = Math.max(0, at.x - wrap.current.clientWidth / 3)
    wrap.current.scrollTop = Math.max(0, at.y - wrap.current.clientHeight / 3)
  })
  if (laid == null) return html`<p class="empty">${t('graph.none')}</p>`
  const { width, height, nodes, clusters, edges } = laid
  const key = (s) => (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(s.StageID) }
  }
  // the full name (the node may show it clipped), in the order the node shows it; the SVG title is its accessible name
  const label = (s) => `${s.StageName} ${statusText(s.Status)} · ${unknownText(s, unknownSince) ?? fmtDuration(s.StartTime, s.EndTime, now)}`
  // Tab follows the picture: left to right, then top to bottom; containers first, as they are drawn
  // under the edges that run into their branches
  const byPlace = (a, b) => a.x - b.x || a.y - b.y
  const boxes = clusters.map((c) => ({ ...c, box: true })).sort(byPlace)
  const plain = [...nodes].sort(byPlace)
  const item = (n) => {
    const s = n.stage
    const sel = s.StageID === selected
    const usual = n.box ? { usual: null, late: false } : norm(s)
    const cls = `${n.box ? 'box' : 'node'} stage-${s.Status}${sel ? ' selected' : ''}${usual.late ? ' late' : ''}`
    // "status unknown since HH:MM" a little smaller than a duration, so that it fits the node in English too
    const unknown = unknownText(s, unknownSince) != null
    const metaCls = `meta${unknown ? ' unknown' : ''}`
    const w = n.box ? n.w : NODE_W
    const h = n.box ? n.h : nodeH
    return html`<g key=${s.StageID} class=${cls} data-stage=${s.StageName} transform=${`translate(${n.x},${n.y})`}
             tabindex="0" role="button" aria-pressed=${sel ? 'true' : 'false'}
             onClick=${(e) => { e.stopPropagation(); onSelect(s.StageID) }} onKeyDown=${key(s)}>
            <title>${n.box ? t('graph.parallel', { label: label(s) }) : label(s)}${usual.usual ? ` · ${usual.late ? `⚠ ${usual.lateText}` : usual.usual}` : ''}</title>
            <rect class="ring" x="-5" y="-5" width=${w + 10} height=${h + 10} rx="9" />
            <rect class="body" width=${w} height=${h} rx="6" />
            ${n.box
              ? html`<text class="name" x="10" y="17">${clipToWidth(`∥ ${s.StageName}`, w - 90)}</text>
                <text class=${metaCls} x=${w - 8} y="17" text-anchor="end">${meta(s)}</text>`
              : html`<text class="name" x="10" y="20">${clipToWidth(s.StageName)}</text>
                <text class=${metaCls} x="10" y="39">${clipToWidth(meta(s), TEXT_W, `${unknown ? 10.5 : 11.5}px ${getComputedStyle(document.body).fontFamily}`)}</text>
                ${usual.usual ? html`<text class="usual" x="10" y="56">${usual.late ? '⚠ ' : ''}${usual.usual}</text>` : null}`}
          </g>`
  }
  return html`
    <div class="graph-wrap" ref=${wrap}>
      <svg class="graph" width=${Math.ceil(width)} height=${Math.ceil(height)} viewBox=${`0 0 ${Math.ceil(width)} ${Math.ceil(height)}`}
        role="group" aria-label=${t('graph.label')}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        ${boxes.map(item)}
        ${edges.map((e) => html`<path key=${e.key} class="edge" d=${path(e.points)} marker-end="url(#arrow)" />`)}
        ${plain.map(item)}
      </svg>
    </div>`
}

/**
 * The same stages as a list: for very large builds, and for anyone who prefers reading to a picture.
 * Like the graph's nodes: each stage's usual duration, a mark on one running past its P90, and
 * "status unknown since HH:MM" for a running one while its Jenkins is unreachable.
 */
export function StageList ({ stages, selected, onSelect, now, norms, unknownSince = null }) {
  if (stages.length === 0) return html`<p class="empty">${t('graph.none')}</p>`
  const boxes = containers(stages)
  const depth = new Map()
  for (const s of stages) {
    const outer = [...boxes].find(([, l]) => l.includes(s.StageID))
    depth.set(s.StageID, outer == null ? 0 : (depth.get(outer[0]) ?? 0) + 1)
  }
  const normAt = unknownSince == null ? now : Math.min(now, unknownSince / 1000)
  const normOf = (s) => boxes.has(s.StageID) ? { usual: null, late: false } : stageNorm(s, norms?.get(s.StageName), normAt)
  const lateOf = (s) => normOf(s).late
  const duration = (s) => {
    const unknown = unknownText(s, unknownSince)
    const n = normOf(s)
    return html`${unknown != null ? html`<span class="unknown">${unknown}</span>` : fmtDuration(s.StartTime, s.EndTime, now)}${n.usual != null
      ? html`<br /><small class=${`usual${n.late ? ' late' : ''}`}>${n.late ? `⚠ ${n.lateText}` : n.usual}</small>`
      : null}`
  }
  return html`<div class="stage-list-wrap"><table class="grid stage-list">
    <thead><tr><th scope="col">${t('graph.col.stage')}</th><th scope="col">${t('builds.status')}</th><th scope="col">${t('builds.col.duration')}</th></tr></thead>
    <tbody>${stages.map((s) => html`<tr key=${s.StageID} data-stage=${s.StageName}
      class=${`${s.StageID === selected ? 'selected' : ''}${lateOf(s) ? ' late' : ''}`}>
      <td class=${`depth-${Math.min(3, depth.get(s.StageID))}`}><button type="button" class="link" aria-pressed=${s.StageID === selected ? 'true' : 'false'}
        onClick=${() => onSelect(s.StageID)}>${boxes.has(s.StageID) ? '∥ ' : ''}${s.StageName}</button></td>
      <td><span class=${`badge status-${s.Status}`}>${statusText(s.Status)}</span></td>
      <td class="num">${duration(s)}</td>
    </tr>`)}</tbody>
  </table></div>`
}
