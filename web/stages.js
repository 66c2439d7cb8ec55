// Pure helpers over a build's stages (Stage/info's StageList): parallel containers, the stage to show first, links.

const FAILED = new Set(['Fail', 'Unstable'])

/**
 * Parallel stages drawn as containers: a stage Jenkins reported (it has a JenkinsNodeID) whose two or
 * more successors hang on it alone and run inside its time span. The poller records a branch after its
 * parallel stage, so without the span check a plain fan-out (build → three test jobs) would become a box.
 * Answers Map<containerId, branchIds[]>.
 */
export function containers (stages) {
  const byId = new Map(stages.map((s) => [s.StageID, s]))
  const kids = new Map()
  for (const s of stages) {
    if (s.PreStageID.length !== 1) continue
    const p = s.PreStageID[0]
    kids.set(p, [...(kids.get(p) ?? []), s.StageID])
  }
  const out = new Map()
  for (const [p, list] of kids) {
    const parent = byId.get(p)
    if (parent == null || list.length < 2 || parent.Detail?.JenkinsNodeID == null) continue
    const branches = list.map((id) => byId.get(id))
    const starts = branches.map((b) => b.StartTime).filter((x) => x != null)
    const ends = branches.map((b) => b.EndTime)
    const inside = parent.StartTime != null && starts.every((x) => x >= parent.StartTime) &&
      (parent.EndTime == null || (ends.every((x) => x != null && x <= parent.EndTime) && starts.some((x) => x < parent.EndTime || x === parent.StartTime)))
    if (inside) out.set(p, list)
  }
  return out
}

/**
 * The stage to show first: the deepest failed one (a failed branch rather than the parallel stage
 * holding it, the failing stage rather than what it made fail), else the first running one, else the
 * last one that started.
 */
export function firstSelected (stages, boxes = containers(stages)) {
  const byId = [...stages].sort((a, b) => a.StageID - b.StageID)
  const failed = byId.filter((s) => FAILED.has(s.Status))
  if (failed.length > 0) {
    const failedIds = new Set(failed.map((s) => s.StageID))
    // a failed stage whose own failed successor hangs on it alone is not the deepest
    const deepest = failed.filter((s) => !(boxes.get(s.StageID) ?? []).some((b) => failedIds.has(b)))
    const pick = (deepest.length > 0 ? deepest : failed).find((s) => s.Status === 'Fail') ?? (deepest[0] ?? failed[0])
    return pick.StageID
  }
  // else the one running, else the last that ran: the panel never empties when a build ends well
  return (byId.find((s) => s.Status === 'Running') ?? byId.findLast((s) => s.StartTime != null))?.StageID ?? null
}

const isHttp = (u) => typeof u === 'string' && /^https?:\/\//i.test(u)

/**
 * The stage's own page in Jenkins: a node URL the poller or a pipeline recorded, else the node's page
 * where that Jenkins has one (`nodePath` from useNodePath: graph view's view of the run with the node
 * selected, under the path of its release, or the node's own page); the run's console otherwise.
 */
export function stageLink (stage, build, nodePath = null) {
  const url = stage.Detail?.URL
  const run = build?.JenkinsURL
  const runDir = isHttp(run) ? (run.endsWith('/') ? run : `${run}/`) : null
  const console = runDir == null ? null : `${runDir}console`
  if (isHttp(url) && url !== console) return { href: url, node: true }
  const node = stage.Detail?.JenkinsNodeID
  if (node != null && runDir != null && nodePath != null) {
    const id = encodeURIComponent(String(node))
    return { href: nodePath === 'execution' ? `${runDir}execution/node/${id}/` : `${runDir}${nodePath}/?selected-node=${id}`, node: true }
  }
  if (isHttp(url)) return { href: url, node: false }
  return console == null ? null : { href: console, node: false }
}

/** The error text a stage carries in its Detail (from Jenkins or a pipeline's callback), else null. */
export function detailError (stage) {
  const d = stage?.Detail ?? {}
  for (const k of ['Error', 'ErrorMessage', 'Reason', 'Message']) if (typeof d[k] === 'string' && d[k] !== '') return d[k]
  return null
}
