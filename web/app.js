/* global location, addEventListener, removeEventListener, document */
import { render } from '/ui/vendor/preact.mjs'
import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { TokenPrompt, TokenState, useAuth } from './token.js'
import { html } from './html.js'
import { lang, setLang, t } from './i18n.js'
import { Liveness, LivenessBanner, useReadiness } from './liveness.js'
import { HomePage } from './pages/home.js'
import { ProductsPage } from './pages/products.js'
import { PlansPage } from './pages/plans.js'
import { BuildPage } from './pages/build.js'
import { BuildsPage } from './pages/builds.js'

// Hash routes: #/ (home) · #/products · #/product/1 · #/product/1/plan/2?status=Fail&page=2 · #/product/1/plan/2/build/3
// · #/product/1/plan/2/insights (a trailing name without a value is the view)
export function parseHash (hash) {
  const [path, qs] = hash.replace(/^#/, '').split('?')
  const parts = path.split('/').filter(Boolean)
  const params = {}
  for (let i = 0; i + 1 < parts.length; i += 2) params[parts[i]] = decodeURIComponent(parts[i + 1])
  const view = parts.length % 2 === 1 ? parts[parts.length - 1] : null
  return { path: parts, params, query: Object.fromEntries(new URLSearchParams(qs ?? '')), view }
}

function useEvent (name, read) {
  const [value, setValue] = useState(read)
  useEffect(() => {
    const on = () => setValue(read())
    addEventListener(name, on)
    return () => removeEventListener(name, on)
  }, [])
  return value
}

// the insights page and its chart library (uPlot, ~50 KB) load when it is opened, not with the home page
const loadInsights = () => import('./pages/insights.js')

function Lazy ({ load, name, ...props }) {
  const [mod, setMod] = useState(null)
  useEffect(() => { load().then(setMod) }, [load])
  return mod == null ? html`<p class="loading">${t('common.loading')}</p>` : html`<${mod[name]} ...${props} />`
}

function Page ({ route, auth }) {
  const { params, query, path } = route
  if (params.build != null) return html`<${BuildPage} productId=${params.product} planId=${params.plan} buildIndex=${params.build} auth=${auth} />`
  if (params.plan != null && route.view === 'insights') {
    return html`<${Lazy} load=${loadInsights} name="InsightsPage" productId=${params.product} planId=${params.plan} query=${query} auth=${auth} />`
  }
  if (params.plan != null) return html`<${BuildsPage} productId=${params.product} planId=${params.plan} query=${query} auth=${auth} />`
  if (params.product != null) return html`<${PlansPage} productId=${params.product} auth=${auth} />`
  if (path[0] === 'products') return html`<${ProductsPage} auth=${auth} />`
  return html`<${HomePage} auth=${auth} />`
}

function LangSwitch () {
  const other = lang === 'zh' ? 'en' : 'zh'
  // each name in its own language, so a reader of either finds it
  return html`<button type="button" class="link lang" lang=${other === 'zh' ? 'zh-CN' : 'en'} onClick=${() => setLang(other)}
    title=${t('nav.switchLang')}>${other === 'zh' ? '中文' : 'English'}</button>`
}

function App () {
  const hash = useEvent('hashchange', () => location.hash)
  useEvent('langchange', () => lang)
  const auth = useAuth()
  const readiness = useReadiness()
  const route = parseHash(hash)
  // a new page: focus its heading, so keyboard and screen-reader users start there and hear its name
  useEffect(() => {
    const h1 = document.querySelector('main h1')
    if (h1 != null && document.activeElement !== h1 && hash !== '') h1.focus({ preventScroll: false })
  }, [hash])
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.querySelector('main h1')?.focus() }}>${t('nav.skip')}</a>
    <header class="top">
      <a class="brand" href="#/">TestCloud DevOps</a>
      <nav aria-label=${t('nav.label')}>
        <a href="#/">${t('nav.home')}</a>
        <a href="#/products">${t('nav.products')}</a>
        <a href="/docs">${t('nav.docs')}</a>
        <${TokenState} me=${auth.me} />
        <${LangSwitch} />
      </nav>
    </header>
    <${Liveness.Provider} value=${readiness}>
      <main id="main">
        <${LivenessBanner} />
        ${auth.needed
          // nothing of the page until then: its empty lists would read as "nothing running"
          ? html`<${TokenPrompt} wrong=${auth.version > 0} />`
          : html`<${Page} key=${`${auth.version}`} route=${route} auth=${auth} />`}
      </main>
    <//>`
}

// the static "Loading…" placeholder goes first: render() keeps foreign children
const root = document.getElementById('app')
root.replaceChildren()
render(html`<${App} />`, root)
