import { get } from '../api.js'
import { useHead } from '../head.js'
import { t } from '../i18n.js'
import { ErrorBox, html } from '../util.js'
import { useLoad } from './use-load.js'

export function ProductsPage () {
  const { data, error, loading } = useLoad(() => get('/Product/list'), [])
  useHead(t('products.title'))
  const list = data?.ProductList ?? []
  return html`
    <nav class="crumbs" aria-label=${t('nav.crumbs')}><a href="#/">${t('nav.home')}</a> › <span>${t('products.title')}</span></nav>
    <h1 tabindex="-1">${t('products.title')}</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    ${data && list.length === 0 ? html`<p class="empty">${t('products.none')}</p>` : null}
    <ul class="cards">
      ${list.map((p) => html`
        <li key=${p.ProductID}>
          <a class="card" href=${`#/product/${p.ProductID}`}>
            <span class="name">${p.ProductName}</span><span class="id">#${p.ProductID}</span>
          </a>
        </li>`)}
    </ul>`
}
