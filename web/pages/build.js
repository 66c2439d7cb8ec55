/* global innerWidth */
import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { get, may } from '../api.js'
import { BuildActions } from '../actions.js'
import { useHead } from '../head.js'
import { fmtAgo, fmtNumber, fmtSeconds, fmtTime, t } from '../i18n.js'
import { Elapsed, useUnknownSince } from '../liveness.js'
import { Stamp, useLive, useNow } from '../live.js'
import { History } from '../history.js'
import { StageDetail } from '../stage-detail.js'
import { containers, firstSelected } from '../stages.js'
import { Timeline } from '../timeline.js'
import { ErrorBox, StatusBadge, fmtDuration, html, stripAnsi, userParams, whoWhy } from '../util.js'
import { planOf } from './builds.js'
import { productName } from './plans.js'
import { useLoad } from './use-load.js'
import { BuildProgress, useStageNorms } from '../progress.js'

export { firstSelected }

// a link only to http(s), as stageLink has it: a run URL stored before the server checked them may be `javascript:`
const isHttp = (u) => typeof u === 'string' && /^https?:\/\//i.test(u)

const LIST_ABOVE = 300 // stages: past this the list is the default view (a graph of 1,000 nodes is a poster, not a page)

/** "12 s slower than #4" / "3 s faster than #4" / "as long as #4": this build's duration against the previous one's. */
function DurationDelta ({ build, prev }) {
  if (prev == null || build.StartTime == null || build.EndTime == null || prev.StartTime == null || prev.EndTime == null) return null
  const d = (build.EndTime - build.StartTime) - (prev.EndTime - prev.StartTime)
  const text = Math.abs(d) < 1
    ? t('build.sameAs', { n: prev.BuildIndex })
    : t(d > 0 ? 'build.slower' : 'build.faster', { time: fmtSeconds(Math.abs(d)), n: prev.BuildIndex })
  return html` <span class=${`delta ${d > 0 ? 'up' : 'down'}`}>(${text})</span>`
}

/** What a person changed against the previous build: parameters added, removed or given another value. */
export function paramChanges (build, prev) {
  if (prev == null) return []
  const before = new Map(userParams(prev).map((p) => [p.name, p.value]))
  const after = new Map(userParams(build).map((p) => [p.name, p.value]))
  const out = []
  for (const [name, value] of after) if (before.get(name) !== value) out.push({ name, from: before.get(name), to: value })
  for (const [name, value] of before) if (!after.has(name)) out.push({ name, from: value, to: undefined })
  return out
}

function Changes ({ build, prev, base }) {
  if (prev == null) return null
  const changes = paramChanges(build, prev)
  const link = html`<a href=${`${base}/build/${prev.BuildIndex}`}>#${prev.BuildIndex}</a>`
  return html`<dt>${t('build.changed')}</dt><dd class="changes">${changes.length === 0
    ? html`<span class="muted">${t('build.sameParams')}</span> ${link}`
    : html`${changes.map((c) => html`<code key=${c.name}>${c.name}: ${c.from ?? '∅'} → ${c.to ?? '∅'}</code> `)}<span class="muted">${t('build.vs')}</span> ${link}`}</dd>`
}

function BuildHeader ({ build, prev, plan, base, now, children }) {
  const params = userParams(build)
  const reason = build.Detail?.Reason ?? build.Detail?.QueueReason ?? build.Detail?.Note
  return html`
    <section class="panel build-head" aria-label=${t('build.summary')}>
      <div class="head-row">
        <${StatusBadge} status=${build.Status} />
        <span>${t('build.job')} <b>${build.JobName}</b>${build.JenkinsBuildNumber != null ? ` #${build.JenkinsBuildNumber}` : ''}</span>
        ${isHttp(build.JenkinsURL)
          ? html`<a href=${build.JenkinsURL} target="_blank" rel="noopener noreferrer">${t('build.openJenkins')} ↗</a>`
          : null}
        ${children}
      </div>
      <dl class="facts">
        <dt>${t('build.who')}</dt><dd>${whoWhy(build)}${build.RebuildOf != null
          ? html` · <a class="rebuild-of" href=${`${base}/build/${build.RebuildOf}`}>${t('build.rebuildOf', { n: build.RebuildOf })}</a>`
          : null}</dd>
        <dt>${t('build.started')}</dt><dd>${build.StartTime == null
          ? html`${t('build.notStarted')} <span class="muted">(${t('build.recorded', { time: fmtTime(build.CreateTime) })})</span>`
          : html`${fmtTime(build.StartTime)} <span class="muted">(${fmtAgo(build.StartTime, now)})</span>`}</dd>
        <dt>${t('build.duration')}</dt><dd><${Elapsed} build=${{ ...build, JenkinsName: plan?.JenkinsName }}>${build.StartTime == null ? '—' : fmtDuration(build.StartTime, build.EndTime, now)}<//><${DurationDelta} build=${build} prev=${prev} /></dd>
        ${params.length ? html`<dt>${t('build.params')}</dt><dd class="params">${params.map((p) => html`<code key=${p.name}>${p.name}=${p.value}</code> `)}</dd>` : null}
        <${Changes} build=${build} prev=${prev} base=${base} />
      </dl>
      ${reason ? html`<p class="reason">${stripAnsi(String(reason))}</p>` : null}
    </section>`
}

function ViewSwitch ({ view, setView }) {
  return html`<div class="view-switch" role="group" aria-label=${t('graph.view')}>
    <button type="button" aria-pressed=${view === 'graph' ? 'true' : 'false'} onClick=${() => setView('graph')}>${t('graph.asGraph')}</button>
    <button type="button" aria-pressed=${view === 'list' ? 'true' : 'false'} onClick=${() => setView('list')}>${t('graph.asList')}</button>
  </div>`
}

/** dagre is 49 KB: loaded by the build page only, so the home page stays light. */
function useGraphModule () {
  const [mod, setMod] = useState(null)
  useEffect(() => { import('../graph.js').then(setMod) }, [])
  return mod
}

export function BuildPage ({ productId, planId, buildIndex, auth }) {
  const [picked, setPicked] = useState(null)
  const [view, setView] = useState(null)
  const graph = useGraphModule()
  const base = `#/product/${productId}/plan/${planId}`
  const { data, error, loading, at, reload } = useLoad(async () => {
    const [prod, plan, info, stages] = await Promise.all([
      productName(productId), planOf(productId, planId),
      get('/Build/info', { DevOpsPlanID: planId, BuildIndex: buildIndex }),
      get('/Stage/info', { DevOpsPlanID: planId, BuildIndex: buildIndex })
    ])
    return { prod, plan, build: info.Build, stages: stages.StageList }
  }, [productId, planId, buildIndex])
  // the previous build of the plan, for "slower/faster than #N"; gone (retention) or none: nothing shown
  const prev = useLoad(async () => Number(buildIndex) > 1
    ? (await get('/Build/info', { DevOpsPlanID: planId, BuildIndex: Number(buildIndex) - 1 })).Build
    : null, [planId, buildIndex])
  useLive({ DevOpsPlanID: planId, BuildIndex: buildIndex }, reload, auth.version)
  // the clock keeps going for relative times ("3 minutes ago") in any case
  const now = useNow()
  // while its Jenkins is unreachable, a build that has not ended: its running stages say "status unknown
  // since HH:MM" instead of a duration, and its timeline stops at the moment Jenkins went away
  const since = useUnknownSince(data?.plan.JenkinsName)
  const unknownSince = since != null && data != null && data.build.EndTime == null ? since : null
  const norms = useStageNorms(planId, data?.build.EndTime ?? null)
  const stages = data?.stages ?? []
  const boxes = containers(stages)
  // until someone picks a stage, the deepest failed one is shown (also when it fails later, live)
  const selected = picked ?? firstSelected(stages, boxes)
  const stage = stages.find((s) => s.StageID === selected) ?? null
  const shown = view ?? (stages.length > LIST_ABOVE ? 'list' : 'graph')
  const narrow = innerWidth < 700
  useHead(data ? `#${buildIndex} ${data.plan.PlanName}` : `#${buildIndex}`, data?.build.Status)
  return html`
    <nav class="crumbs" aria-label=${t('nav.crumbs')}>
      <a href="#/">${t('nav.home')}</a>${' › '}<a href=${`#/product/${productId}`}>${data?.prod ?? '…'}</a>${' › '}<a
        href=${base}>${data?.plan.PlanName ?? '…'}</a>${' › '}<span>#${buildIndex}</span>
    </nav>
    <h1 tabindex="-1">${t('build.title', { n: buildIndex })} ${data ? html`<${StatusBadge} status=${data.build.Status} />` : null} <${Stamp} at=${at} /></h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    ${data
      ? html`<${BuildHeader} build=${data.build} prev=${prev.data} plan=${data.plan} base=${base} now=${now}>
        <${BuildProgress} build=${data.build} jenkinsName=${data.plan.JenkinsName} />
        ${may(auth.me?.Role, 'trigger') ? html`<${BuildActions} productId=${productId} planId=${planId} build=${data.build} onChange=${reload} />` : null}
      <//>`
      : null}
    ${data
      ? html`
      <div class="build-body">
        <section class="panel stages-panel" aria-labelledby="h-stages">
          <h2 id="h-stages">${t('build.stages')} <small>${fmtNumber(stages.length)}</small> <${ViewSwitch} view=${shown} setView=${setView} /></h2>
          ${graph == null
            ? html`<p class="loading">${t('common.loading')}</p>`
            : shown === 'list'
              ? html`<${graph.StageList} stages=${stages} selected=${selected} onSelect=${setPicked} now=${now} norms=${norms}
                  unknownSince=${unknownSince} />`
              : html`<${graph.StageGraph} stages=${stages} selected=${selected} onSelect=${setPicked} now=${now} narrow=${narrow} norms=${norms}
                  unknownSince=${unknownSince} />`}
        </section>
        <${StageDetail} stage=${stage} stages=${stages} build=${data.build} planId=${planId} now=${now}
          jenkinsName=${data.plan.JenkinsName} unknownSince=${unknownSince} />
      </div>
      <section class="panel" aria-labelledby="h-timeline">
        <h2 id="h-timeline">${t('build.timeline')}</h2>
        <${Timeline} stages=${stages} selected=${selected} onSelect=${setPicked} now=${now} unknownSince=${unknownSince} />
      </section>
      <section class="panel">
        <${History} planId=${planId} buildIndex=${buildIndex} at=${at} />
      </section>`
      : null}`
}
