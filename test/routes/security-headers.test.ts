import t from 'tap'
import { build } from '../helper.js'

// docs/API.md, Tightened rules, round 3: the pages send a CSP (no inline script, no framing), nosniff and no-referrer
t.test('/, /ui/* and /docs send the security headers; API answers do not need them', async (t) => {
  const app = await build(t)
  for (const url of ['/', '/ui/app.js', '/ui/style.css', '/ui/missing.js', '/docs', '/docs/json']) {
    const res = await app.inject({ url })
    const csp = String(res.headers['content-security-policy'])
    const scriptSrc = csp.split(';').find((d) => d.startsWith('script-src '))
    t.ok(scriptSrc != null && !scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'"), `${url}: no inline script (${scriptSrc})`)
    t.match(csp, /frame-ancestors 'none'/, `${url}: no framing`)
    t.match(csp, /object-src 'none'/)
    t.equal(res.headers['x-frame-options'], 'DENY')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.notOk(res.headers['strict-transport-security'], 'HSTS is for the proxy that terminates TLS')
  }
  const api = await app.inject({ url: '/TestCloud/DevOps/Product/list' })
  t.notOk(api.headers['content-security-policy'], 'JSON answers are never rendered')
})

t.test('the dashboard has no inline script for the CSP to refuse', async (t) => {
  const app = await build(t)
  const html = (await app.inject({ url: '/' })).body
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => !/\bsrc=/.test(m[1]) || m[2].trim() !== '')
  t.same(inline.map((m) => m[0]), [], 'every <script> has a src and no body')
  t.notMatch(html, /\son[a-z]+=/i, 'no inline event handler attributes')
})
