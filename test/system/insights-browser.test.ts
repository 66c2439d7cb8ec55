import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ROOT } from '../../src/lib/root.js'
import { build, fakeJenkins, post } from '../helper.js'
import { axe } from '../fixtures/axe.js'

// The insights page, the progress bar of running builds and the stage nodes' usual durations, in
// Debian's Chromium under the server's Content-Security-Policy (no inline script), in both languages at
// 1280 and 400 px, axe-core on each page, with screenshots.
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

  type Lang = 'en' | 'zh'
  // the page under the policy the server sends (plugins/security-headers.ts): no inline script, scripts
  // from this server only; the language set as a reader's switch leaves it, in localStorage, before the page loads
  const open = async (width: number, lang: Lang): Promise<{ page: Page, problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()) })
    page.on('request', (r) => { if (!r.url().startsWith(base)) problems.push(`offsite ${r.url()}`) })
    const res = await page.goto(`${base}/?setup`)
    t.match(res?.headers()['content-security-policy'], /(^|;)\s*script-src 'self'(;|$)/, 'the page comes with the server\'s policy')
    await page.evaluate((l) => { localStorage.setItem('testcloud.lang', l) }, lang)
    return { page, problems }
  }
  const planUrl = `${base}/#/product/${product.ProductID as number}/plan/${planId}`
  const LEFT = { en: /about [34] min left/, zh: /大约还需 [34] 分钟/ }
  const USUAL = { en: /usually 5 min/, zh: /通常 5 分钟/ }

  for (const lang of ['en', 'zh'] as const) {
    for (const width of [1280, 400]) {
      await t.test(`the build list, the home and the build page (${lang}, ${width} px)`, async (t) => {
        const { page, problems } = await open(width, lang)
        await page.goto(planUrl)
        t.equal(await page.locator('html').getAttribute('lang'), lang === 'zh' ? 'zh-CN' : 'en')
        const bar = page.locator('table.builds .build-progress').first()
        await bar.waitFor()
        t.match(await bar.textContent(), LEFT[lang], 'the running row says how long is left')
        t.equal(await page.locator('table.builds .build-progress').count(), 1, 'only the running build has a bar')
        t.same(await axe(page), [], 'the build list: no serious or critical accessibility violation')
        await page.screenshot({ path: join(ARTIFACTS, `progress-list-${lang}-${width}.png`) })
        // the home's running row carries the same estimate, from the overview alone
        await page.goto(`${base}/`)
        const homeBar = page.locator('.home-grid .build-progress').first()
        await homeBar.waitFor()
        t.match(await homeBar.textContent(), LEFT[lang], 'the home\'s running row says how long is left')
        t.equal(await page.locator('.home-grid .build-progress').count(), 1, 'one running build, one bar')
        t.same(await axe(page), [], 'the home: no serious or critical accessibility violation')
        await page.screenshot({ path: join(ARTIFACTS, `progress-home-${lang}-${width}.png`) })
        await page.goto(`${planUrl}/build/${running}`)
        await page.locator('.build-head .build-progress').waitFor()
        t.match(await page.locator('.build-head .build-progress').textContent(), LEFT[lang])
        const value = Number(await page.locator('.build-head progress').getAttribute('value'))
        t.ok(value > 30 && value < 70, `progress ${value}% (2 of about 5 min)`)
        await page.locator('.graph .node.late').first().waitFor()
        t.equal(await page.locator('.graph .node.late').getAttribute('data-stage'), 'Lint', 'Lint runs past its P90 and is marked')
        t.match(await page.locator('.graph .node[data-stage="Test"] text.usual').textContent(), USUAL[lang], 'Test: its usual duration')
        t.same(await axe(page), [], 'the build page: no serious or critical accessibility violation')
        await page.screenshot({ path: join(ARTIFACTS, `progress-build-${lang}-${width}.png`) })
        // the list view (the default past 300 stages) says the same as the nodes
        await page.getByRole('button', { name: lang === 'en' ? 'List' : '列表', exact: true }).click()
        await page.locator('table.stage-list tr.late').waitFor()
        t.same(await page.locator('table.stage-list tr.late').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-stage'))), ['Lint'],
          'the list marks Lint, past its P90')
        t.match(await page.locator('table.stage-list tr.late small.usual').textContent(), lang === 'en' ? /slower than usual/ : /比平常慢/)
        t.match(await page.locator('table.stage-list tr[data-stage="Test"] small.usual').textContent(), USUAL[lang], 'and Test\'s usual duration')
        t.same(await axe(page), [], 'the list view: no serious or critical accessibility violation')
        await page.screenshot({ path: join(ARTIFACTS, `progress-build-list-${lang}-${width}.png`) })
        t.same(problems, [], 'no script error, nothing the policy refused, nothing from elsewhere')
        await page.close()
      })

      await t.test(`the insights page (${lang}, ${width} px)`, async (t) => {
        const { page, problems } = await open(width, lang)
        await page.goto(planUrl)
        await page.getByRole('link', { name: lang === 'en' ? 'Insights' : '洞察' }).click()
        await page.locator('.stage-chart canvas').first().waitFor()
        t.equal(await page.locator('.stage-chart').count(), 4, 'one chart per stage')
        t.equal(await page.locator('.stage-chart canvas').count(), 4, 'drawn by uPlot')
        t.same(await page.locator('table.insights tbody tr td:first-child').evaluateAll((tds) => tds.map((td) => td.firstChild?.textContent?.trim())),
          ['Test', 'Build', 'Lint', 'Deploy'], 'the flaky stage first')
        t.match(await page.locator('.panel.flaky li').first().textContent(), /Test/)
        const failed = await page.locator('.panel.flaky li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
        t.same(failed.map((h) => h?.split('/build/')[1]), ['10', '7', '4', '3'], 'links to the builds where Test failed, newest first')
        t.match(await page.locator('.panel.slowest li').first().textContent(), /Test/, 'Test is the slowest')
        t.match(await page.locator('.panel.slowest li').first().textContent(), lang === 'en' ? /P90 \d+ min/ : /P90：\d+ 分钟/, 'its P90, in the page\'s language')
        if (lang === 'zh') {
          t.match(await page.locator('h1').textContent(), /洞察/)
          t.match(await page.locator('.panel.flaky h2').textContent(), /不稳定的阶段/)
        }
        if (width === 400) {
          // the table scrolls sideways; its headers stay on one line (Chinese too), not a character a line
          const heads = await page.locator('table.insights th').evaluateAll((ths) => ths.map((th) => {
            const range = document.createRange()
            range.selectNodeContents(th)
            // one client rect per line box the text takes
            const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)))
            return { text: th.textContent ?? '', lines: tops.size }
          }).filter((h) => h.text.trim() !== ''))
          t.ok(heads.length > 0 && heads.every((h) => h.lines <= 1), `headers on one line: ${JSON.stringify(heads)}`)
        }
        t.same(await axe(page), [], 'the insights page: no serious or critical accessibility violation')
        await page.screenshot({ path: join(ARTIFACTS, `insights-${lang}-${width}.png`), fullPage: true })
        await page.locator('.panel.flaky li a').first().click()
        await page.waitForURL(/build\/10$/)
        t.same(problems, [], 'no script error, nothing the policy refused, nothing from elsewhere')
        await page.close()
      })
    }
  }
})
