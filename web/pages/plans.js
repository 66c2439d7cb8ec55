import { get } from '../api.js'
import { ErrorBox, html } from '../util.js'
import { useLoad } from './use-load.js'

/** Product name for breadcrumbs (the API has no Product/info; the list is small). */
export async function productName (productId) {
  const { ProductList } = await get('/Product/list')
  return ProductList.find((p) => String(p.ProductID) === String(productId))?.ProductName ?? `#${productId}`
}

export function PlansPage ({ productId }) {
  const { data, error, loading } = useLoad(async () => {
    const [name, plans] = await Promise.all([productName(productId), get('/Plan/list', { ProductID: productId })])
    return { name, list: plans.PlanList }
  }, [productId])
  const list = data?.list ?? []
  return html`
    <nav class="crumbs" aria-label="breadcrumb"><a href="#/">Products</a> › <span>${data?.name ?? '…'}</span></nav>
    <h1>${data?.name ?? 'Plans'}</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">Loading…</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">No plans in this product.</p>` : null}
    <table class="grid">
      <thead><tr><th>Plan</th><th>Jenkins job</th><th>ID</th></tr></thead>
      <tbody>
        ${list.map((p) => html`
          <tr key=${p.DevOpsPlanID}>
            <td><a href=${`#/product/${productId}/plan/${p.DevOpsPlanID}`}>${p.PlanName}</a></td>
            <td>${p.JobName ?? p.JenkinsName ?? '—'}</td>
            <td class="num">${p.DevOpsPlanID}</td>
          </tr>`)}
      </tbody>
    </table>`
}
