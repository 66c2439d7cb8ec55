import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { get } from './api.js'
import { fmtTime, t } from './i18n.js'
import { html } from './html.js'
import { unknownText, useNodePath } from './liveness.js'
import { detailError, stageLink } from './stages.js'
import { FAILED, StatusBadge, fmtDuration, stripAnsi } from './util.js'

/** How often, and how many times, an empty log is asked for again: the poller captures it after the stage ends. */
export const LOG_RETRY_MS = 3000
const LOG_TRIES = 10

/**
 * The error and last log lines Jenkins recorded for a failed stage (GET /Stage/log, captured once when
 * it ended); the stage's own Detail error while the server has none to give. A page that saw the stage
 * fail asks before the poller has captured anything, so an empty answer is asked again a few times.
 */
function useStageLog (planId, buildIndex, stage) {
  const [state, setState] = useState({ key: null, log: null })
  const failed = stage != null && FAILED.has(stage.Status)
  const key = failed ? `${planId}/${buildIndex}/${stage.StageID}` : null
  useEffect(() => {
    if (key == null) return
    let stop = false
    let timer
    let tries = 0
    const read = () => get('/Stage/log', { DevOpsPlanID: planId, BuildIndex: buildIndex, StageID: stage.StageID }).then(
      (r) => {
        if (stop) return
        setState({ key, log: r })
        if (!r.Error && !r.Log && ++tries < LOG_TRIES) timer = setTimeout(read, LOG_RETRY_MS)
      },
      () => { if (!stop) setState({ key, log: null }) })
    read()
    return () => { stop = true; clearTimeout(timer) }
  }, [key])
  return state.key === key ? state.log : null
}

/** The selected stage: status, times, its own node in Jenkins, and why it failed (error + log excerpt). */
export function StageDetail ({ stage, stages = [], build, planId, now, jenkinsName, unknownSince = null }) {
  const log = useStageLog(planId, build?.BuildIndex, stage)
  const nodePath = useNodePath(jenkinsName)
  if (stage == null) return html`<section class="panel stage-detail"><p class="empty">${t('stage.pick')}</p></section>`
  const link = stageLink(stage, build, nodePath)
  const error = stripAnsi(log?.Error || detailError(stage) || '')
  const excerpt = stripAnsi(log?.Log ?? '')
  const failed = FAILED.has(stage.Status)
  const unknown = unknownText(stage, unknownSince)
  const name = (id) => stages.find((s) => s.StageID === id)?.StageName ?? `#${id}`
  const extra = Object.fromEntries(Object.entries(stage.Detail ?? {}).filter(([k]) => !['URL', 'JenkinsNodeID', 'Error', 'ErrorMessage'].includes(k)))
  return html`
    <section class="panel stage-detail" aria-labelledby="stage-title" aria-live="polite">
      <h2 id="stage-title"><span class="stage-name">${stage.StageName}</span> <${StatusBadge} status=${stage.Status} /></h2>
      ${failed
        ? html`<div class="why">
          <h3>${t('stage.why')}</h3>
          ${error ? html`<p class="err-msg">${error}</p>` : html`<p class="muted">${t('stage.noError')}</p>`}
          ${excerpt
            ? html`<h3>${t('stage.log')}${log?.Truncated ? html` <small>${t('stage.truncated')}</small>` : null}</h3>
              <pre class="log" tabindex="0" aria-label=${t('stage.log')}>${excerpt}</pre>`
            : null}
        </div>`
        : null}
      ${link ? html`<p><a class="console" href=${link.href} target="_blank" rel="noopener noreferrer">${link.node ? t('stage.openNode') : t('stage.openConsole')} ↗</a></p>` : null}
      <dl class="facts">
        <dt>${t('stage.started')}</dt><dd>${fmtTime(stage.StartTime)}</dd>
        <dt>${t('stage.ended')}</dt><dd>${fmtTime(stage.EndTime)}</dd>
        <dt>${t('stage.duration')}</dt><dd>${unknown != null ? html`<span class="unknown">${unknown}</span>` : fmtDuration(stage.StartTime, stage.EndTime, now)}</dd>
        <dt>${t('stage.after')}</dt><dd>${stage.PreStageID.length ? stage.PreStageID.map(name).join(', ') : '—'}</dd>
      </dl>
      ${Object.keys(extra).length > 0
        ? html`<details class="raw"><summary>${t('stage.detail')}</summary><pre class="json">${stripAnsi(JSON.stringify(extra, null, 2))}</pre></details>`
        : null}
    </section>`
}
