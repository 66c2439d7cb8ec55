import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { ROOT } from '../../src/lib/root.js'
import { build, fakeJenkins, post } from '../helper.js'

// The dashboard in Debian's Chromium (no browser download), against the app and the Jenkins double.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const SKIP = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (install Debian's chromium)`
const ARTIFACTS = join(ROOT, 'artifacts')

async function setup (t: Test) {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'UShop/api', parameters: { DevOpsPlanID: '', BuildIndex: '', Branch: 'main' } })
  const app = await build(t, { env })
  const product = (await post(app, '/Product/add', { ProductName: '优选商城' })).json()
  const plan = (await post(app, '/Plan/add', { ProductID: product.ProductID, PlanName: '接口流水线', JobName: 'UShop/api' })).json()
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  t.teardown(async () => { await browser.close() })
  return { app, jenkins, base, browser, productId: product.ProductID as number, planId: plan.DevOpsPlanID as number }
}

/** A page that records every request leaving this server and every script error. */
async function open (browser: Browser, base: string, width: number): Promise<{ page: Page, offsite: string[], errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 800 } })
  const offsite: string[] = []
  const errors: string[] = []
  page.on('request', (r) => { if (!r.url().startsWith(base)) offsite.push(r.url()) })
  page.on('pageerror', (e) => errors.push(e.message))
  return { page, offsite, errors }
}

async function shot (page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: false })
}

t.test('products → plans → builds, by clicking, nothing loaded from outside', { skip: SKIP }, async (t) => {
  const { app, base, browser, planId } = await setup(t)
  for (let i = 0; i < 3; i++) t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  const { page, offsite, errors } = await open(browser, base, 1280)
  await page.goto(`${base}/`)
  await page.getByRole('link', { name: /优选商城/ }).click()
  await page.getByRole('link', { name: '接口流水线' }).click()
  await page.locator('table.builds tbody tr').first().waitFor()
  t.equal(await page.locator('table.builds tbody tr').count(), 3, 'three builds listed')
  t.match(await page.locator('h1').textContent(), /UShop\/api/, 'the plan header shows its Jenkins job')
  await shot(page, 'dashboard-builds-1280.png')
  t.same(offsite, [], 'the page loads nothing from outside this server')
  t.same(errors, [], 'no script errors')
})
