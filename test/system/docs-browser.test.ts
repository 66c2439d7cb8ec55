import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { parse } from 'yaml'
import { readFileSync } from 'node:fs'
import { SPEC_FILE } from '../../plugins/docs.js'
import { ROOT } from '../../src/lib/root.js'
import { build, post } from '../helper.js'

// The docs page in a real headless Chromium (Debian's), with no browser download.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

t.test('/docs renders every operation and "Try it out" on Product/list answers 1000', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)` }, async (t) => {
  const app = await build(t)
  await post(app, '/Product/add', { ProductName: 'UShop' })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } })
  const offsite: string[] = []
  page.on('request', (r) => { if (!r.url().startsWith(base)) offsite.push(r.url()) })
  // script errors and Content-Security-Policy refusals (console errors)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) errors.push(`console: ${m.text()}`) })
  const docs = await page.goto(`${base}/docs`)
  t.match(docs?.headers()['content-security-policy'], /frame-ancestors 'none'/, 'the page is sent with a CSP')

  const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as { paths: Record<string, object> }
  const paths = page.locator('.opblock-summary-path')
  await paths.first().waitFor({ timeout: 20_000 })
  const shown = (await paths.allTextContents()).map((s) => s.replace(/\u200b/g, '').trim())
  t.same([...shown].sort(), Object.keys(spec.paths).sort(), 'every operation of openapi.yaml is on the page')

  const op = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: /\/Product\/list$/ }) })
  await op.locator('.opblock-summary').click()
  await op.getByRole('button', { name: 'Try it out' }).click()
  await op.getByRole('button', { name: 'Execute' }).click()
  const live = op.locator('.live-responses-table tr.response .response-col_status').first()
  await live.waitFor({ timeout: 20_000 })
  t.equal((await live.textContent())?.trim(), '200')
  const body = await op.locator('.live-responses-table .highlight-code').first().textContent() ?? ''
  t.match(body, /"ErrorCode":\s*1000/)
  t.match(body, /UShop/)

  const dir = join(ROOT, 'artifacts')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: join(dir, 'docs.png'), fullPage: false })
  t.same(offsite, [], 'the page loads nothing from outside this server')
  t.same(errors, [], 'no script or console error under the CSP')
})
