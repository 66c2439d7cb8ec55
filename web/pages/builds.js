/* global location */
import { get } from '../api.js'
import { ErrorBox, STATUSES, StatusBadge, fmtDuration, fmtTime, html } from '../util.js'
import { Stamp, useLive } from '../live.js'
import { StartBuild } from '../start-build.js'
import { productName } from './plans.js'
import { useLoad } from './use-load.js'
import { RowProgress } from '../progress.js'
import { t } from '../insights-i18n.js'

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

export function BuildsPage ({ productId, planId, query }) {
  const status = query.status ?? ''
  const page = Math.max(1, Number(query.page) || 1)
  const base = `#/product/${productId}/plan/${planId}`
  const { data, error, loading, at, reload } = useLoad(async () => {
    const [prod, plan, builds] = await Promise.all([
      productName(productId), planOf(productId, planId),
      get('/Build/list', { DevOpsPlanID: planId, Status: status, PageIndex: page, PageSize: PAGE_SIZE })
    ])
    return { prod, plan, builds }
  }, [productId, planId, status, page])
  useLive({ DevOpsPlanID: planId }, reload)
  const list = data?.builds.BuildList ?? []
  const total = data?.builds.TotalCount ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const onStatus = (e) => { location.hash = hrefWith(base, { status: e.currentTarget.value }) }
  return html`
    <nav class="crumbs" aria-label="breadcrumb">
      <a href="#/">Products</a> › <a href=${`#/product/${productId}`}>${data?.prod ?? '…'}</a> › <span>${data?.plan.PlanName ?? '…'}</span>
    </nav>
    <h1>${data?.plan.PlanName ?? 'Builds'} ${data?.plan.JobName ? html`<small class="job">${data.plan.JobName}</small>` : null}</h1>
    <div class="toolbar">
      <label>Status <select value=${status} onChange=${onStatus}>
        <option value="">all</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
      <span class="count">${total} build${total === 1 ? '' : 's'}</span>
      <${Stamp} at=${at} />
      <a class="insights-link" href=${`${base}/insights`}>${t('insights.link')}</a>
    </div>
    <details class="start">
      <summary>Start build</summary>
      <${StartBuild} productId=${productId} planId=${planId} />
    </details>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">Loading…</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">No builds${status ? ` with status ${status}` : ''}.</p>` : null}
    <table class="grid builds">
      <thead><tr><th>#</th><th>Status</th><th>Source</th><th>Started</th><th>Duration</th></tr></thead>
      <tbody>
        ${list.map((b) => html`
          <tr key=${b.BuildIndex}>
            <td class="num"><a href=${`${base}/build/${b.BuildIndex}`}>#${b.BuildIndex}</a></td>
            <td><${StatusBadge} status=${b.Status} /></td>
            <td>${b.Source ?? 'api'}${b.Cause ? html` <span class="cause">${b.Cause}</span>` : null}</td>
            <td>${fmtTime(b.StartTime)}</td>
            <td class="num">${fmtDuration(b.StartTime, b.EndTime)}${b.EndTime == null ? html` <${RowProgress} planId=${planId} buildIndex=${b.BuildIndex} at=${at} />` : null}</td>
          </tr>`)}
      </tbody>
    </table>
    ${pages > 1
? html`
      <nav class="pager" aria-label="pages">
        ${page > 1
          ? html`<a href=${hrefWith(base, { status, page: page - 1 })}>‹ newer</a>`
          : html`<span />`}
        <span>page ${page} of ${pages}</span>
        ${page < pages
          ? html`<a href=${hrefWith(base, { status, page: page + 1 })}>older ›</a>`
          : html`<span />`}
      </nav>`
: null}`
}
