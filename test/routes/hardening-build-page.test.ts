import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import t from 'tap'
import { appWithBuilds } from '../helper.js'

// The build page links a run only when its URL is http(s): a run URL stored before the server checked
// them may be `javascript:`, and a link to it would run script in the dashboard's origin when clicked.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SKIP = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (install Debian's chromium)`

t.test('the build page\'s "Open in Jenkins" links only an http(s) run URL', { skip: SKIP }, async (t) => {
  const { app, planId } = await appWithBuilds(t, 2)
  // as an older server stored them (the write path refuses them now)
  await app.db.updateTable('builds').set({ jenkins_url: 'javascript:alert(document.domain)//' })
    .where('build_index', '=', 1).execute()
  await app.db.updateTable('builds').set({ jenkins_url: 'http://jenkins.example/job/Test/2/' })
    .where('build_index', '=', 2).execute()
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const args = ['--headless', '--no-sandbox', '--disable-gpu']
  const browser = await chromium.launch({ executablePath: CHROMIUM, args })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  const links = async (buildIndex: number): Promise<string[]> => {
    await page.goto(`${base}/#/product/1/plan/${planId}/build/${buildIndex}`)
    await page.locator('.build-head .head-row').waitFor()
    const anchors = page.locator('.build-head .head-row a')
    return await anchors.evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))
  }
  t.same(await links(2), ['http://jenkins.example/job/Test/2/'], 'an http(s) run URL is a link')
  const hrefs = await links(1)
  t.same(hrefs.filter((h) => !/^https?:/.test(h) && !h.startsWith('#')), [], 'no link to javascript:')
})
