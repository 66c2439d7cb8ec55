// Parallel groups: stages that share the same predecessors (a fan-out), two or more of them.
const WORST = ['Fail', 'Aborted', 'Unstable', 'Running', 'Paused', 'Queued', 'Pass', 'Skipped']

export function parallelGroups (stages) {
  const by = new Map()
  for (const s of stages) {
    if (s.PreStageID.length === 0) continue
    const key = [...s.PreStageID].sort((a, b) => a - b).join(',')
    by.set(key, [...(by.get(key) ?? []), s])
  }
  return [...by].filter(([, members]) => members.length > 1).map(([key, members]) => ({ key: `g${key}`, members }))
}

/** The status a collapsed group shows: its worst member's. */
export const worstStatus = (members) => WORST.find((st) => members.some((m) => m.Status === st)) ?? members[0].Status

/**
 * What the graph draws: every stage, except members of collapsed groups, which become one node
 * (id "g…") carrying the group's worst status, its span of time and its members' edges.
 */
export function visibleGraph (stages, collapsed) {
  const groups = parallelGroups(stages)
  const into = new Map()
  const nodes = []
  for (const g of groups) {
    if (!collapsed.has(g.key)) continue
    for (const m of g.members) into.set(m.StageID, g.key)
    const starts = g.members.map((m) => m.StartTime).filter((t) => t != null)
    const running = g.members.some((m) => m.StartTime != null && m.EndTime == null)
    nodes.push({
      id: g.key,
      group: g,
      name: `${g.members.length} parallel`,
      status: worstStatus(g.members),
      start: starts.length ? Math.min(...starts) : null,
      end: running ? null : Math.max(...g.members.map((m) => m.EndTime ?? 0)) || null,
      pre: g.members[0].PreStageID
    })
  }
  for (const s of stages) {
    if (!into.has(s.StageID)) nodes.push({ id: String(s.StageID), stage: s, name: s.StageName, status: s.Status, start: s.StartTime, end: s.EndTime, pre: s.PreStageID })
  }
  const vis = (id) => into.get(id) ?? String(id)
  const ids = new Set(nodes.map((n) => n.id))
  const edges = new Map()
  for (const n of nodes) {
    const members = n.group ? n.group.members : [n.stage]
    for (const m of members) {
      for (const p of m.PreStageID) {
        const from = vis(p)
        if (ids.has(from) && from !== n.id) edges.set(`${from}>${n.id}`, [from, n.id])
      }
    }
  }
  return { nodes, edges: [...edges.values()], groups }
}
