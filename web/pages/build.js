import { useState } from 'preact/hooks'
import { get } from '../api.js'
import { BuildActions } from '../actions.js'
import { StageGraph } from '../graph.js'
import { Stamp, useLive } from '../live.js'
import { History } from '../history.js'
import { StageDetail } from '../stage-detail.js'
import { Timeline } from '../timeline.js'
import { ErrorBox, StatusBadge, fmtDuration, fmtTime, html } from '../util.js'
import { planOf } from './builds.js'
import { productName } from './plans.js'
import { useLoad } from './use-load.js'
import { BuildProgress, useStageNorms } from '../progress.js'

/** The stage to show first: the first failed one, else the first running one, else none. */
export function firstSelected (stages) {
  const byId = [...stages].sort((a, b) => a.StageID - b.StageID)
  return (byId.find((s) => s.Status === 'Fail') ?? byId.find((s) => s.Status === 'Running'))?.StageID ?? null
}

function BuildHeader ({ build, children }) {
  const params = build.Parameter?.parameter ?? []
  const reason = build.Detail?.Reason ?? build.Detail?.QueueReason ?? build.Detail?.Note
  return html`
    <section class="panel build-head">
      <div class="head-row">
        <${StatusBadge} status=${build.Status} />
        <span>Job <b>${build.JobName}</b>${build.JenkinsBuildNumber != null ? ` #${build.JenkinsBuildNumber}` : ''}</span>
        ${build.JenkinsURL ? html`<a href=${build.JenkinsURL} target="_blank" rel="noopener">Jenkins ↗</a>` : null}
        ${children}
      </div>
      <dl class="facts">
        <dt>Source</dt><dd>${build.Source ?? 'api'}${build.Cause ? ` — ${build.Cause}` : ''}</dd>
        <dt>Recorded</dt><dd>${fmtTime(build.CreateTime)}</dd>
        <dt>Started</dt><dd>${fmtTime(build.StartTime)}</dd>
        <dt>Duration</dt><dd>${fmtDuration(build.StartTime, build.EndTime)}</dd>
        ${params.length ? html`<dt>Parameters</dt><dd class="params">${params.map((p) => html`<code>${p.name}=${p.value}</code> `)}</dd>` : null}
      </dl>
      ${reason ? html`<p class="reason">${String(reason)}</p>` : null}
    </section>`
}

export function BuildPage ({ productId, planId, buildIndex }) {
  const [picked, setPicked] = useState(null)
  const { data, error, loading, at, reload } = useLoad(async () => {
    const [prod, plan, info, stages] = await Promise.all([
      productName(productId), planOf(productId, planId),
      get('/Build/info', { DevOpsPlanID: planId, BuildIndex: buildIndex }),
      get('/Stage/info', { DevOpsPlanID: planId, BuildIndex: buildIndex })
    ])
    return { prod, plan, build: info.Build, stages: stages.StageList }
  }, [productId, planId, buildIndex])
  useLive({ DevOpsPlanID: planId, BuildIndex: buildIndex }, reload)
  const norms = useStageNorms(planId, data?.build.EndTime ?? null)
  const stages = data?.stages ?? []
  // until someone picks a stage, the first failed one is shown (also when it fails later, live)
  const selected = picked ?? firstSelected(stages)
  const stage = stages.find((s) => s.StageID === selected) ?? null
  return html`
    <nav class="crumbs" aria-label="breadcrumb">
      <a href="#/">Products</a>${' › '}<a href=${`#/product/${productId}`}>${data?.prod ?? '…'}</a>${' › '}<a
        href=${`#/product/${productId}/plan/${planId}`}>${data?.plan.PlanName ?? '…'}</a>${' › '}<span>#${buildIndex}</span>
    </nav>
    <h1>Build #${buildIndex} <${Stamp} at=${at} /></h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">Loading…</p>` : null}
    ${data
      ? html`<${BuildHeader} build=${data.build}>
        <${BuildProgress} build=${data.build} />
        <${BuildActions} productId=${productId} planId=${planId} build=${data.build} onChange=${reload} />
      <//>`
      : null}
    ${data
      ? html`
      <div class="build-body">
        <section class="panel">
          <h2>Stages <small>${stages.length}</small></h2>
          <${StageGraph} stages=${stages} selected=${selected} onSelect=${setPicked} norms=${norms} />
        </section>
        <${StageDetail} stage=${stage} stages=${stages} />
      </div>
      <section class="panel">
        <h2>Timeline</h2>
        <${Timeline} stages=${stages} selected=${selected} onSelect=${setPicked} />
      </section>
      <section class="panel">
        <h2>Event history</h2>
        <${History} planId=${planId} buildIndex=${buildIndex} at=${at} />
      </section>`
      : null}`
}
