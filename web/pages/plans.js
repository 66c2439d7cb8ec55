import { get } from '../api.js'
import { useHead } from '../head.js'
import { fmtAgo, t } from '../i18n.js'
import { useLive, useNow } from '../live.js'
import { ErrorBox, FAILED, StatusBadge, html } from '../util.js'
import { useLoad } from './use-load.js'

/** Product name for breadcrumbs (the API has no Product/info; the list is small). */
export async function productName (productId) {
  const { ProductList } = await get('/Product/list')
  return ProductList.find((p) => String(p.ProductID) === String(productId))?.ProductName ?? `#${productId}`
}

export function PlansPage ({ productId, auth }) {
  // the overview holds every plan with its newest build: one request for the product's plans and their state
  const { data, error, loading, reload } = useLoad(async () => {
    const [name, o] = await Promise.all([productName(productId), get('/Plan/overview')])
    return { name, list: o.PlanList.filter((p) => String(p.ProductID) === String(productId)) }
  }, [productId])
  useLive({ ProductID: productId }, reload, auth.version)
  const now = useNow(5000)
  const list = data?.list ?? []
  useHead(data?.name, list.some((p) => FAILED.has(p.LastBuild?.Status)) ? 'Fail' : null)
  return html`
    <nav class="crumbs" aria-label=${t('nav.crumbs')}><a href="#/">${t('nav.home')}</a> › <a href="#/products">${t('products.title')}</a> › <span>${data?.name ?? '…'}</span></nav>
    <h1 tabindex="-1">${data?.name ?? t('plans.title')}</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">${t('plans.none')}</p>` : null}
    <div class="table-wrap"><table class="grid">
      <thead><tr><th scope="col">${t('plans.col.plan')}</th><th scope="col">${t('plans.col.job')}</th><th scope="col">${t('home.col.last')}</th><th scope="col">${t('home.col.age')}</th></tr></thead>
      <tbody>
        ${list.map((p) => html`
          <tr key=${p.DevOpsPlanID}>
            <td><a href=${`#/product/${productId}/plan/${p.DevOpsPlanID}`}>${p.PlanName}</a></td>
            <td>${p.JobName ?? '—'}${p.JenkinsName ? html` <span class="muted">@${p.JenkinsName}</span>` : null}</td>
            <td>${p.LastBuild ? html`<${StatusBadge} status=${p.LastBuild.Status} /> #${p.LastBuild.BuildIndex}` : html`<span class="muted">${t('home.never')}</span>`}</td>
            <td class="muted">${p.LastBuild ? fmtAgo(p.LastBuild.EndTime ?? p.LastBuild.StartTime ?? p.LastBuild.CreateTime, now) : '—'}</td>
          </tr>`)}
      </tbody>
    </table></div>`
}
