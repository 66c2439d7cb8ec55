import { createHash } from 'node:crypto'
import t from 'tap'
import { inlineScriptHashes } from '../../plugins/security-headers.js'
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

t.test('the one inline script allowed is the import map, by its hash', async (t) => {
  const map = '\n  {"imports":{"preact":"/ui/vendor/preact.mjs"}}\n  '
  const html = `<script type="importmap">${map}</script><script type="module" src="/ui/app.js"></script>`
  t.same(inlineScriptHashes(html), [`'sha256-${createHash('sha256').update(map).digest('base64')}'`])
  const app = await build(t)
  const csp = String((await app.inject({ url: '/' })).headers['content-security-policy'])
  const { readFileSync } = await import('node:fs')
  const { WEB_DIR } = await import('../../plugins/dashboard.js')
  for (const hash of inlineScriptHashes(readFileSync(`${WEB_DIR}/index.html`, 'utf8'))) t.ok(csp.includes(hash), 'the served page\'s import map is allowed')
})
