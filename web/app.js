/* global location, addEventListener, removeEventListener */
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { TokenState } from './token.js'
import { html } from './util.js'
import { ProductsPage } from './pages/products.js'
import { PlansPage } from './pages/plans.js'
import { BuildPage } from './pages/build.js'
import { BuildsPage } from './pages/builds.js'
import { InsightsPage } from './pages/insights.js'

// Hash routes: #/ · #/product/1 · #/product/1/plan/2?status=Fail&page=2 · #/product/1/plan/2/build/3
// · #/product/1/plan/2/insights (a trailing name without a value is the view)
export function parseHash (hash) {
  const [path, qs] = hash.replace(/^#/, '').split('?')
  const parts = path.split('/').filter(Boolean)
  const params = {}
  for (let i = 0; i + 1 < parts.length; i += 2) params[parts[i]] = decodeURIComponent(parts[i + 1])
  const view = parts.length % 2 === 1 ? parts[parts.length - 1] : null
  return { params, query: Object.fromEntries(new URLSearchParams(qs ?? '')), view }
}

function useHash () {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = () => setHash(location.hash)
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return hash
}

function Page ({ route }) {
  const { params, query } = route
  if (params.build != null) return html`<${BuildPage} productId=${params.product} planId=${params.plan} buildIndex=${params.build} />`
  if (params.plan != null && route.view === 'insights') return html`<${InsightsPage} productId=${params.product} planId=${params.plan} query=${query} />`
  if (params.plan != null) return html`<${BuildsPage} productId=${params.product} planId=${params.plan} query=${query} />`
  if (params.product != null) return html`<${PlansPage} productId=${params.product} />`
  return html`<${ProductsPage} />`
}

function App () {
  const route = parseHash(useHash())
  return html`
    <header class="top">
      <a class="brand" href="#/">TestCloud DevOps</a>
      <nav><${TokenState} /> <a href="/docs">API docs</a></nav>
    </header>
    <main id="main"><${Page} route=${route} /></main>`
}

// the static "Loading…" placeholder goes first: render() keeps foreign children
const root = document.getElementById('app')
root.replaceChildren()
render(html`<${App} />`, root)
