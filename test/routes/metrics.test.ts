import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { createToken } from '../../src/repositories/tokens.js'
import { API_PREFIX } from '../../src/app.js'
import { appWithBuilds, build, fakeJenkins, get } from '../helper.js'

// docs/API.md, Dashboard and metrics; issue 12 point 18: tested by scraping
const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line == null ? undefined : Number(line.slice(series.length + 1))
}

t.test('GET /metrics: open, Prometheus text, the named series', async (t) => {
  const { app, planId } = await appWithBuilds(t, 3)
  await createToken(app.db, 'a', 'admin') // closed: /metrics stays open, like /healthz
  app.tokens.reset()
  await app.db.updateTable('builds').set({ status: 'Pass' }).where('plan_id', '=', planId).where('build_index', '<=', 2).execute()
  await app.db.updateTable('builds').set({ status: 'Fail' }).where('plan_id', '=', planId).where('build_index', '=', 3).execute()
  // a run Jenkins started itself (discovery): counted under its own source
  await app.db.updateTable('builds').set({ source: 'jenkins' }).where('plan_id', '=', planId).where('build_index', '=', 2).execute()
  await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1, secretish: 'tc_do_not_leak' })
  await app.poller.runOnce()

  const res = await app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body
  t.equal(value(text, 'testcloud_builds_total{source="api",status="Pass"}'), 1)
  t.equal(value(text, 'testcloud_builds_total{source="jenkins",status="Pass"}'), 1)
  t.equal(value(text, 'testcloud_builds_total{source="api",status="Fail"}'), 1)
  t.ok((value(text, `testcloud_http_request_duration_seconds_count{route="${API_PREFIX}/Build/info"}`) ?? 0) >= 1, 'route pattern label')
  t.notMatch(text, /tc_do_not_leak|DevOpsPlanID=|UShop|127\.0\.0\.1/, 'no raw URL, name or address in a label')
  t.ok((value(text, 'testcloud_jenkins_requests_total{instance="default",outcome="ok"}') ?? 0) >= 1, 'poller requests counted as ok')
  t.ok((value(text, 'testcloud_jenkins_requests_total{instance="default",outcome="other"}') ?? 0) >= 3, 'the three triggers counted')
  t.match(text, /^process_cpu_seconds_total \d/m, 'default process metrics')
  t.match(text, /^# TYPE testcloud_poller_tick_seconds histogram/m)
  t.notOk(app.swagger().paths?.['/metrics'], 'hidden from the API spec')
})

t.test('testcloud_poller_tick_seconds observes the ticks of the running poller', async (t) => {
  const { env } = await fakeJenkins(t)
  const app = await build(t, { env: { ...env, POLL_INTERVAL_MS: '50' }, pollerAutoStart: true })
  let count = 0
  for (let i = 0; i < 100 && count < 2; i++) {
    count = value((await app.inject({ url: '/metrics' })).body, 'testcloud_poller_tick_seconds_count') ?? 0
    if (count < 2) await sleep(50)
  }
  t.ok(count >= 2, `ticks observed: ${count}`)
})

// a scrape loop on the open /metrics must not cost a scan of the builds table per request
t.test('the build counts are read from the database at most once per 15 s, however often /metrics is scraped', async (t) => {
  const { app, planId } = await appWithBuilds(t, 2)
  const { BUILD_COUNTS_MS } = await import('../../plugins/metrics.js')
  t.equal(BUILD_COUNTS_MS, 15_000)
  await app.db.updateTable('builds').set({ status: 'Pass' }).where('plan_id', '=', planId).where('build_index', '=', 1).execute()
  const pass = async () => value((await app.inject({ url: '/metrics' })).body, 'testcloud_builds_total{source="api",status="Pass"}')
  const queries: string[] = []
  const executor = app.db.getExecutor()
  const run = executor.executeQuery.bind(executor)
  ;(executor as { executeQuery: typeof run }).executeQuery = async (q, ...rest) => { queries.push(q.sql); return await run(q, ...rest) }
  t.equal(await pass(), 1)
  await app.db.updateTable('builds').set({ status: 'Pass' }).where('plan_id', '=', planId).where('build_index', '=', 2).execute()
  const scans = () => queries.filter((q) => /group by/i.test(q)).length
  const before = scans()
  const now = app.metrics.clock
  let shift = 0
  app.metrics.clock = () => now() + shift
  // 10 scrapes over 10 s, each after the rendered text expired (a second apart)
  for (let i = 0; i < 10; i++) { shift += 1000; await pass() }
  t.equal(scans(), before, '10 more scrapes over 10 s: no query')
  shift += 1000
  t.equal(await pass(), 1, 'the counts may be up to 15 s old')
  shift = BUILD_COUNTS_MS + 1000
  t.equal(await pass(), 2, '15 s later they are read again')
  t.equal(scans(), before + 1)
})

t.test('the /metrics text is rendered at most once a second', async (t) => {
  const app = await build(t)
  const { METRICS_TEXT_MS } = await import('../../plugins/metrics.js')
  let renders = 0
  const metrics = app.metrics.registry.metrics.bind(app.metrics.registry)
  app.metrics.registry.metrics = async () => { renders++; return await metrics() }
  const first = (await app.inject({ url: '/metrics' })).body
  const again = await Promise.all(Array.from({ length: 10 }, async () => (await app.inject({ url: '/metrics' })).body))
  t.equal(renders, 1, '11 scrapes, one rendering')
  t.ok(again.every((b) => b === first))
  const now = app.metrics.clock
  app.metrics.clock = () => now() + METRICS_TEXT_MS
  await app.inject({ url: '/metrics' })
  t.equal(renders, 2, 'a second later it is rendered again')
})

t.test('/docs/yaml, /docs/json and /openapi.* answer the committed spec from memory', async (t) => {
  const app = await build(t)
  const { readFileSync } = await import('node:fs')
  const { SPEC_FILE } = await import('../../plugins/docs.js')
  const yaml = readFileSync(SPEC_FILE, 'utf8')
  for (const url of ['/docs/yaml', '/openapi.yaml']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, url)
    t.equal(res.body, yaml, `${url}: the committed file byte for byte, not serialized again`)
  }
  const a = await app.inject({ url: '/docs/json' })
  const b = await app.inject({ url: '/openapi.json' })
  t.equal(a.body, b.body, 'one JSON text for both')
  t.match(a.headers['content-type'], /^application\/json/)
  t.equal(JSON.parse(a.body).openapi, '3.0.3')
})
