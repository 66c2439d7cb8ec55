import { get } from '../api.js'
import { useHead } from '../head.js'
import { fmtAgo, fmtNumber, t, tn } from '../i18n.js'
import { Elapsed } from '../liveness.js'
import { BuildProgress } from '../progress.js'
import { Stamp, useLive, useNow } from '../live.js'
import { ErrorBox, FAILED, StatusBadge, fmtDuration, html, whoWhy } from '../util.js'
import { useLoad } from './use-load.js'

const buildHref = (b) => `#/product/${b.ProductID}/plan/${b.DevOpsPlanID}/build/${b.BuildIndex}`
const planHref = (p) => `#/product/${p.ProductID}/plan/${p.DevOpsPlanID}`

/** The status the home's tab shows: red if any plan's newest build failed, else blue while any runs. */
function homeStatus (data) {
  if (data == null) return null
  const last = data.PlanList.map((p) => p.LastBuild?.Status).filter(Boolean)
  if (last.some((s) => FAILED.has(s))) return 'Fail'
  if (data.RunningList.length > 0) return 'Running'
  return last.length > 0 ? 'Pass' : null
}

function RunningRow ({ b, now }) {
  return html`<li class="row-line">
    <${StatusBadge} status=${b.Status} />
    <a href=${buildHref(b)}><span class="where">${b.ProductName} › ${b.PlanName}</span> #${b.BuildIndex}</a>
    <span class="muted">${whoWhy(b)}</span>
    <${BuildProgress} build=${b} compact />
    <span class="right num">
      <${Elapsed} build=${b}>${b.StartTime == null ? t('home.waiting', { time: fmtDuration(b.CreateTime, null, now) }) : t('home.elapsed', { time: fmtDuration(b.StartTime, null, now) })}<//>
    </span>
  </li>`
}

function FailureRow ({ b, now }) {
  return html`<li class="row-line">
    <${StatusBadge} status=${b.Status} />
    <a href=${buildHref(b)}><span class="where">${b.ProductName} › ${b.PlanName}</span> #${b.BuildIndex}</a>
    <span class="muted">${whoWhy(b)}</span>
    <span class="right muted" title=${t('home.endedAt')}>${fmtAgo(b.EndTime ?? b.CreateTime, now)}</span>
  </li>`
}

export function HomePage ({ auth }) {
  const { data, error, at, reload } = useLoad(() => get('/Plan/overview'), [])
  useLive({}, reload, auth.version)
  const now = useNow()
  useHead(t('home.title'), homeStatus(data))
  const plans = data?.PlanList ?? []
  const running = data?.RunningList ?? []
  const failures = data?.FailureList ?? []
  const red = plans.filter((p) => FAILED.has(p.LastBuild?.Status)).length
  return html`
    <h1 tabindex="-1">${t('home.title')} <${Stamp} at=${at} /></h1>
    <${ErrorBox} error=${error} />
    ${data
      ? html`<p class="summary">${[tn('home.summary.plans', plans.length), tn('home.summary.running', running.length), tn('home.summary.red', red)].join(' · ')}</p>`
      : null}
    ${data && plans.length === 0 ? html`<p class="empty">${t('home.noPlans')}</p>` : null}
    <div class="home-grid">
      <section class="panel" aria-labelledby="h-running">
        <h2 id="h-running">${t('home.running')} <small>${fmtNumber(running.length)}</small></h2>
        ${data && running.length === 0 ? html`<p class="empty">${t('home.noneRunning')}</p>` : null}
        <ul class="rows">${running.map((b) => html`<${RunningRow} key=${`${b.DevOpsPlanID}/${b.BuildIndex}`} b=${b} now=${now} />`)}</ul>
      </section>
      <section class="panel" aria-labelledby="h-failed">
        <h2 id="h-failed">${t('home.failures')} <small>${fmtNumber(failures.length)}</small></h2>
        ${data && failures.length === 0 ? html`<p class="empty">${t('home.noFailures')}</p>` : null}
        <ul class="rows">${failures.map((b) => html`<${FailureRow} key=${`${b.DevOpsPlanID}/${b.BuildIndex}`} b=${b} now=${now} />`)}</ul>
      </section>
    </div>
    ${plans.length > 0
      ? html`<section class="panel" aria-labelledby="h-plans">
      <h2 id="h-plans">${t('home.plans')} <small>${fmtNumber(plans.length)}</small></h2>
      <div class="table-wrap"><table class="grid plans-overview">
        <thead><tr><th scope="col">${t('home.col.plan')}</th><th scope="col">${t('home.col.last')}</th><th scope="col">${t('home.col.age')}</th><th scope="col">${t('home.col.active')}</th></tr></thead>
        <tbody>
          ${plans.map((p) => html`<tr key=${p.DevOpsPlanID} class=${FAILED.has(p.LastBuild?.Status) ? 'red' : ''}>
            <td><a href=${planHref(p)}><span class="muted">${p.ProductName} ›</span> ${p.PlanName}</a></td>
            <td>${p.LastBuild
              ? html`<a href=${buildHref({ ...p, BuildIndex: p.LastBuild.BuildIndex })} class="badge-link"><${StatusBadge} status=${p.LastBuild.Status} /> #${p.LastBuild.BuildIndex}</a>`
              : html`<span class="muted">${t('home.never')}</span>`}</td>
            <td class="muted">${p.LastBuild ? fmtAgo(p.LastBuild.EndTime ?? p.LastBuild.StartTime ?? p.LastBuild.CreateTime, now) : '—'}</td>
            <td class="num">${p.Active > 0 ? html`<span class="active">${t('home.activeCount', { n: fmtNumber(p.Active) })}</span>` : ''}</td>
          </tr>`)}
        </tbody>
      </table></div>
    </section>`
      : null}`
}
