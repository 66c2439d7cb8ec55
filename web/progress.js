import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { get } from './api.js'
import { t } from './i18n.js'
import { useUnknownSince } from './liveness.js'
import { html } from './util.js'

/** Seconds → "3 min" (whole minutes from one minute up), "40 s", or "< 1 s" under a second (never "0 s"). */
export function roughly (seconds) {
  if (!(seconds >= 1)) return t('common.underSecond')
  const s = Math.round(seconds)
  return s >= 60 ? t('progress.min', { n: Math.round(s / 60) }) : t('progress.sec', { n: s })
}

/** What the bar says: "about 3 min left", or that it runs past its estimate; null without an estimate. */
export function leftText (build, now = Date.now() / 1000) {
  if (build.EstimatedEndTime == null) return null
  const left = build.EstimatedEndTime - now
  return left < 1 ? t('progress.overdue') : t('progress.left', { time: roughly(left) })
}

/**
 * A running build's progress (Build/info's Progress and EstimatedEndTime); nothing once it ended, nor
 * while its Jenkins is unreachable (the page says "status unknown" there, not "about 5 min left").
 */
export function BuildProgress ({ build, compact = false, jenkinsName }) {
  const unknownSince = useUnknownSince(jenkinsName ?? build?.JenkinsName)
  if (build == null || build.EndTime != null || unknownSince != null) return null
  if (build.Progress == null) return compact ? null : html`<span class="progress-note">${t('progress.unknown')}</span>`
  const label = t('progress.label', { pct: build.Progress })
  return html`<span class=${`build-progress${compact ? ' compact' : ''}`}>
    <progress max="100" value=${build.Progress} aria-label=${label} title=${label}>${build.Progress}%</progress>
    <span class="left">${leftText(build)}</span>
  </span>`
}

/** The progress of one row of the build list: Build/list has no estimate, so the row asks Build/info. */
export function RowProgress ({ planId, buildIndex, at }) {
  const [build, setBuild] = useState(null)
  useEffect(() => {
    let stop = false
    get('/Build/info', { DevOpsPlanID: planId, BuildIndex: buildIndex }).then((r) => { if (!stop) setBuild(r.Build) }, () => {})
    return () => { stop = true }
  }, [planId, buildIndex, at])
  return html`<${BuildProgress} build=${build} compact />`
}

/** Each stage's usual duration and P90 in the plan (Stage/stats over the last 50 ended builds), by name. */
export function useStageNorms (planId, at) {
  const [norms, setNorms] = useState(() => new Map())
  useEffect(() => {
    let stop = false
    get('/Stage/stats', { DevOpsPlanID: planId }).then((r) => {
      if (!stop) setNorms(new Map(r.StageList.map((s) => [s.StageName, { median: s.MedianDuration, p90: s.P90Duration }])))
    }, () => {})
    return () => { stop = true }
  }, [planId, at])
  return norms
}

/** A stage node's extra line: "usually 2 min", and whether it runs past its P90. */
export function stageNorm (stage, norm, now = Date.now() / 1000) {
  const median = stage.MedianDuration ?? norm?.median ?? null
  const p90 = norm?.p90 ?? null
  const running = stage.StartTime != null && stage.EndTime == null && stage.Status === 'Running'
  const late = running && p90 != null && now - stage.StartTime > p90
  return {
    usual: median == null ? null : t('progress.usual', { time: roughly(median) }),
    late,
    lateText: late ? t('progress.late', { time: roughly(p90) }) : null
  }
}
