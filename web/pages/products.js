import { get } from '../api.js'
import { ErrorBox, html } from '../util.js'
import { useLoad } from './use-load.js'

export function ProductsPage () {
  const { data, error, loading } = useLoad(() => get('/Product/list'), [])
  const list = data?.ProductList ?? []
  return html`
    <nav class="crumbs" aria-label="breadcrumb"><span>Products</span></nav>
    <h1>Products</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">Loading…</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">No products yet.</p>` : null}
    <ul class="cards">
      ${list.map((p) => html`
        <li key=${p.ProductID}>
          <a class="card" href=${`#/product/${p.ProductID}`}>
            <span class="name">${p.ProductName}</span><span class="id">#${p.ProductID}</span>
          </a>
        </li>`)}
    </ul>`
}
