/* global location */
import { get } from '../api.js'
import { useHead } from '../head.js'
import { fmtAgo, fmtNumber, fmtTime, t, tn } from '../i18n.js'
import { Elapsed } from '../liveness.js'
import { Stamp, useLive, useNow } from '../live.js'
import { StartBuild } from '../start-build.js'
import { PlanGrid, StageStrip } from '../strip.js'
import { ErrorBox, STATUSES, StatusBadge, fmtDuration, html, statusText, whoWhy } from '../util.js'
import { productName } from './plans.js'
import { useLoad } from './use-load.js'
import { RowProgress } from '../progress.js'
import { may } from '../api.js'

const PAGE_SIZE = 20

/** Plan name and job for headers: Plan/list of the product (there is no Plan/info). */
export async function planOf (productId, planId) {
  const { PlanList } = await get('/Plan/list', { ProductID: productId })
  return PlanList.find((p) => String(p.DevOpsPlanID) === String(planId)) ?? { DevOpsPlanID: planId, PlanName: `#${planId}` }
}

const hrefWith = (base, query) => {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v != null && v !== '' && v !== 1)).toString()
  return qs ? `${base}?${qs}` : base
}

/** The first few parameters a person chose, as "name=value" chips (the rest in the title). */
export function KeyParams ({ params, max = 3 }) {
  if (params == null || params.length === 0) return null
  const shown = params.slice(0, max)
  return html`<span class="params" title=${params.map((p) => `${p.name}=${p.value}`).join('\n')}>
    ${shown.map((p) => html`<code key=${p.name}>${p.name}=${p.value}</code> `)}${params.length > max ? html`<span class="muted">+${params.length - max}</span>` : null}
  </span>`
}

export function BuildsPage ({ productId, planId, query, auth }) {
  const status = query.status ?? ''
  const page = Math.max(1, Number(query.page) || 1)
  const base = `#/product/${productId}/plan/${planId}`
  const { data, error, loading, at, reload } = useLoad(async () => {
    const [prod, plan, builds, grid] = await Promise.all([
      productName(productId), planOf(productId, planId),
      get('/Build/list', { DevOpsPlanID: planId, Status: status, PageIndex: page, PageSize: PAGE_SIZE }),
      // the same page of builds: their parameters and stage strips, whatever the page or filter
      get('/Plan/grid', { DevOpsPlanID: planId, Status: status, PageIndex: page, Last: PAGE_SIZE })
    ])
    return { prod, plan, builds, grid: grid.BuildList }
  }, [productId, planId, status, page])
  useLive({ DevOpsPlanID: planId }, reload, auth.version)
  const now = useNow()
  const list = data?.builds.BuildList ?? []
  const total = data?.builds.TotalCount ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const gridOf = new Map((data?.grid ?? []).map((b) => [b.BuildIndex, b]))
  useHead(data?.plan.PlanName, list[0]?.Status)
  const onStatus = (e) => { location.hash = hrefWith(base, { status: e.currentTarget.value }) }
  const canStart = may(auth.me?.Role, 'trigger')
  return html`
    <nav class="crumbs" aria-label=${t('nav.crumbs')}>
      <a href="#/">${t('nav.home')}</a> › <a href=${`#/product/${productId}`}>${data?.prod ?? '…'}</a> › <span>${data?.plan.PlanName ?? '…'}</span>
    </nav>
    <h1 tabindex="-1">${data?.plan.PlanName ?? t('builds.title')} ${data?.plan.JobName ? html`<small class="job">${data.plan.JobName}</small>` : null}</h1>
    <div class="toolbar">
      <label>${t('builds.status')} <select value=${status} onChange=${onStatus}>
        <option value="">${t('builds.all')}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${statusText(s)}</option>`)}
      </select></label>
      <span class="count">${tn('builds.count', total)}</span>
      <${Stamp} at=${at} />
      <a class="insights-link" href=${`${base}/insights`}>${t('insights.link')}</a>
    </div>
    ${canStart
      ? html`<details class="start" key=${planId}>
      <summary>${t('start.title')}</summary>
      <${StartBuild} productId=${productId} planId=${planId} />
    </details>`
      : null}
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">${status ? t('builds.noneWith', { status: statusText(status) }) : t('builds.none')}</p>` : null}
    <div class="table-wrap"><table class="grid builds">
      <thead><tr><th scope="col">#</th><th scope="col">${t('builds.status')}</th><th scope="col">${t('builds.col.who')}</th><th scope="col">${t('builds.col.params')}</th>
        <th scope="col">${t('builds.col.stages')}</th><th scope="col">${t('builds.col.started')}</th><th scope="col">${t('builds.col.duration')}</th></tr></thead>
      <tbody>
        ${list.map((b) => {
          const g = gridOf.get(b.BuildIndex)
          const started = b.StartTime ?? b.CreateTime
          const ago = () => html`<span class="ago" title=${fmtTime(started)}>${fmtAgo(started, now)}</span>`
          return html`
          <tr key=${b.BuildIndex}>
            <td class="num"><a href=${`${base}/build/${b.BuildIndex}`}>#${b.BuildIndex}</a></td>
            <td><${StatusBadge} status=${b.Status} /></td>
            <td class="who">${whoWhy(b)}${b.RebuildOf != null ? html` <a class="rebuild-of" href=${`${base}/build/${b.RebuildOf}`}>${t('build.rebuildOfShort', { n: b.RebuildOf })}</a>` : null}
              <span class="fold"><${KeyParams} params=${g?.Parameter} />${ago()}</span></td>
            <td class="wide"><${KeyParams} params=${g?.Parameter} /></td>
            <td><${StageStrip} stages=${g?.StageList} /></td>
            <td class="wide">${ago()}</td>
            <td class="num"><${Elapsed} build=${{ ...b, JenkinsName: data.plan.JenkinsName }}>${fmtDuration(b.StartTime, b.EndTime, now)}${b.EndTime == null
              ? html` <${RowProgress} planId=${planId} buildIndex=${b.BuildIndex} at=${at} />`
              : null}<//></td>
          </tr>`
        })}
      </tbody>
    </table></div>
    ${pages > 1
? html`
      <nav class="pager" aria-label=${t('builds.pages')}>
        ${page > 1
          ? html`<a href=${hrefWith(base, { status, page: page - 1 })}>‹ ${t('builds.newer')}</a>`
          : html`<span />`}
        <span>${t('builds.page', { page: fmtNumber(page), pages: fmtNumber(pages) })}</span>
        ${page < pages
          ? html`<a href=${hrefWith(base, { status, page: page + 1 })}>${t('builds.older')} ›</a>`
          : html`<span />`}
      </nav>`
: null}
    ${data && data.grid.length > 0
      ? html`<section class="panel" aria-labelledby="h-grid">
      <h2 id="h-grid">${t('grid.title')} <small>${t('grid.last', { n: fmtNumber(data.grid.length) })}</small></h2>
      <${PlanGrid} builds=${data.grid} base=${base} now=${now} />
    </section>`
      : null}`
}
