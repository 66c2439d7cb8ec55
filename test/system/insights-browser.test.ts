import { createHash } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ROOT } from '../../src/lib/root.js'
import { build, fakeJenkins, post } from '../helper.js'

// The insights page, the progress bar of running builds and the stage nodes' usual durations, in
// Debian's Chromium under a strict Content-Security-Policy (no inline script or style), with screenshots.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const SKIP = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (install Debian's chromium)`
const ARTIFACTS = join(ROOT, 'artifacts')

type StageSeed = [name: string, status: string, start: number, seconds: number | null, pre?: string[]]

async function seedBuild (app: FastifyInstance, planId: number, status: string | null, stages: StageSeed[]): Promise<number> {
  const { BuildIndex } = (await post(app, '/Build/add', { DevOpsPlanID: planId })).json()
  let end = 0
  for (const [StageName, Status, start, seconds, pre] of stages) {
    const body: Record<string, unknown> = { DevOpsPlanID: planId, BuildIndex, StageName, Status, StartTime: start }
    if (pre != null) body.PreStageName = pre
    if (seconds != null) { body.EndTime = start + seconds; end = Math.max(end, start + seconds) }
    const r = (await post(app, '/Build/update', body)).json()
    if (r.ErrorCode !== 1000) throw new Error(JSON.stringify(r))
  }
  if (status != null) await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex, Status: status, EndTime: end })
  return BuildIndex
}

t.test('insights, progress and usual durations in the browser', { skip: SKIP }, async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Shop', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  // a strict policy on the page, as production sends it: the import map is allowed by its hash only
  const index = (await app.inject('/')).body
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(index)?.[1] ?? ''
  const csp = `default-src 'self'; script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'; ` +
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
  const product = (await post(app, '/Product/add', { ProductName: 'Shop' })).json()
  const plan = (await post(app, '/Plan/add', { ProductID: product.ProductID, PlanName: 'Checkout API', JobName: 'Shop' })).json()
  const planId = plan.DevOpsPlanID as number
  const now = Math.floor(Date.now() / 1000)
  // 12 ended builds: Build 60 s, Test ~300 s (slower lately) and flaky, Lint 20–30 s, Deploy 10 s (skipped when Test failed)
  for (let i = 0; i < 12; i++) {
    const at = now - 86_400 + i * 3600
    const testFails = [2, 3, 6, 9].includes(i)
    const test = 240 + i * 12
    await seedBuild(app, planId, testFails ? 'Fail' : 'Pass', [
      ['Build', 'Pass', at, 55 + (i % 3) * 5],
      ['Test', testFails ? 'Fail' : 'Pass', at + 60, testFails ? 40 : test, ['Build']],
      ['Lint', 'Pass', at + 60, 20 + (i % 4) * 3, ['Build']],
      ['Deploy', testFails ? 'Skipped' : 'Pass', at + 60 + test, testFails ? 0 : 10, ['Test', 'Lint']]
    ])
  }
  // running: Test has 2 of its ~5 min behind it; Lint is far past its usual 30 s
  const running = await seedBuild(app, planId, null, [
    ['Build', 'Pass', now - 180, 60],
    ['Test', 'Running', now - 120, null, ['Build']],
    ['Lint', 'Running', now - 120, null, ['Build']]
  ])
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  t.teardown(async () => { await browser.close() })
  mkdirSync(ARTIFACTS, { recursive: true })

  const open = async (width: number): Promise<{ page: Page, problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width, height: 900 } })
    const problems: string[] = []
    // the page as sent, with the policy added by the browser's side (the app is already listening)
    await page.route(`${base}/`, async (route) => {
      const res = await route.fetch()
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': csp } })
    })
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()) })
    page.on('request', (r) => { if (!r.url().startsWith(base)) problems.push(`offsite ${r.url()}`) })
    return { page, problems }
  }
  const planUrl = `${base}/#/product/${product.ProductID as number}/plan/${planId}`

  for (const width of [1280, 400]) {
    await t.test(`the build list and the build page at ${width} px`, async (t) => {
      const { page, problems } = await open(width)
      await page.goto(planUrl)
      const bar = page.locator('table.builds .build-progress').first()
      await bar.waitFor()
      t.match(await bar.textContent(), /about [34] min left/, 'the running row says how long is left')
      t.equal(await page.locator('table.builds .build-progress').count(), 1, 'only the running build has a bar')
      await page.screenshot({ path: join(ARTIFACTS, `progress-list-${width}.png`) })
      // the home's running row carries the same estimate, from the overview alone
      await page.goto(`${base}/`)
      const homeBar = page.locator('.home-grid .build-progress').first()
      await homeBar.waitFor()
      t.match(await homeBar.textContent(), /about [34] min left/, 'the home\'s running row says how long is left')
      t.equal(await page.locator('.home-grid .build-progress').count(), 1, 'one running build, one bar')
      await page.screenshot({ path: join(ARTIFACTS, `progress-home-${width}.png`) })
      await page.goto(`${planUrl}/build/${running}`)
      await page.locator('.build-head .build-progress').waitFor()
      t.match(await page.locator('.build-head .build-progress').textContent(), /about [34] min left/)
      const value = Number(await page.locator('.build-head progress').getAttribute('value'))
      t.ok(value > 30 && value < 70, `progress ${value}% (2 of about 5 min)`)
      await page.locator('.graph .node.late').first().waitFor()
      t.equal(await page.locator('.graph .node.late').getAttribute('data-stage'), 'Lint', 'Lint runs past its P90 and is marked')
      t.match(await page.locator('.graph .node[data-stage="Test"] text.usual').textContent(), /usually 5 min/, 'Test: its usual duration')
      await page.screenshot({ path: join(ARTIFACTS, `progress-build-${width}.png`) })
      t.same(problems, [], 'no script error, nothing the policy refused, nothing from elsewhere')
    })

    await t.test(`the insights page at ${width} px`, async (t) => {
      const { page, problems } = await open(width)
      await page.goto(planUrl)
      await page.getByRole('link', { name: 'Insights' }).click()
      await page.locator('.stage-chart canvas').first().waitFor()
      t.equal(await page.locator('.stage-chart').count(), 4, 'one chart per stage')
      t.equal(await page.locator('.stage-chart canvas').count(), 4, 'drawn by uPlot')
      t.same(await page.locator('table.insights tbody tr td:first-child').evaluateAll((tds) => tds.map((td) => td.firstChild?.textContent?.trim())),
        ['Test', 'Build', 'Lint', 'Deploy'], 'the flaky stage first')
      t.match(await page.locator('.panel.flaky li').first().textContent(), /Test/)
      const failed = await page.locator('.panel.flaky li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      t.same(failed.map((h) => h?.split('/build/')[1]), ['10', '7', '4', '3'], 'links to the builds where Test failed, newest first')
      t.match(await page.locator('.panel.slowest li').first().textContent(), /Test/, 'Test is the slowest')
      await page.screenshot({ path: join(ARTIFACTS, `insights-${width}.png`), fullPage: true })
      await page.locator('.panel.flaky li a').first().click()
      await page.waitForURL(/build\/10$/)
      t.same(problems, [], 'no script error, nothing the policy refused, nothing from elsewhere')
    })
  }

  await t.test('in Simplified Chinese', async (t) => {
    const { page, problems } = await open(1280)
    await page.goto(planUrl)
    await page.evaluate(() => { localStorage.setItem('testcloud.lang', 'zh') })
    await page.goto(`${planUrl}/insights`)
    await page.reload() // the language is read when the page loads
    await page.locator('.stage-chart canvas').first().waitFor()
    t.match(await page.locator('h1').textContent(), /洞察/)
    t.match(await page.locator('.panel.flaky h2').textContent(), /不稳定的阶段/)
    await page.screenshot({ path: join(ARTIFACTS, 'insights-zh-1280.png'), fullPage: true })
    // at 400 px the table scrolls sideways; its Chinese headers stay on one line, not a character a line
    await page.setViewportSize({ width: 400, height: 900 })
    const heads = await page.locator('table.insights th').evaluateAll((ths) => ths.map((th) => {
      const range = document.createRange()
      range.selectNodeContents(th)
      // one client rect per line box the text takes
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)))
      return { text: th.textContent ?? '', lines: tops.size }
    }).filter((h) => h.text.trim() !== ''))
    t.ok(heads.length > 0 && heads.every((h) => h.lines <= 1), `headers on one line: ${JSON.stringify(heads)}`)
    await page.screenshot({ path: join(ARTIFACTS, 'insights-zh-400.png'), fullPage: true })
    t.same(problems, [])
  })
})
