import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import t from 'tap'
import { type ExportSpan, exportSpans, runSpans } from '../fixtures/otel-exporter.js'
import type { FakeBuild, FakeJenkins } from '../fixtures/fake-jenkins.js'
import { SECRET, tracedRun } from '../fixtures/otlp-pair.js'
import { buildInfo, tickLater } from '../helper.js'

// What a root span may change about its build, even one carrying our trace id: never a known run URL,
// and never store a run URL of another job (a run URL is a run of the build's own job).

interface Setup { app: FastifyInstance, jenkins: FakeJenkins, run: FakeBuild, traceId: string, parentSpanId: string }

/** One build of job Test, triggered with our traceparent; its run started in Jenkins, not polled yet. */
async function setup (t: Test, play: { finish?: boolean } = {}): Promise<Setup> {
  const s = await tracedRun(t, { flavor: 'graph-view' }, ['Other'])
  s.jenkins.playPipeline(s.run, ['Build'], play)
  return s
}

/** The run's root span with our trace id, its URL pointed at `url`. */
function rootNaming (s: Setup, url: string): ExportSpan {
  const root = runSpans(s.run, { traceId: s.traceId, parentSpanId: s.parentSpanId, jenkinsUrl: s.jenkins.baseUrl })
    .find((x) => x.name.startsWith('BUILD '))
  if (root == null) throw new Error('no root span')
  return { ...root, attributes: { ...root.attributes, 'ci.pipeline.run.url': url } }
}

t.test('a root span with our trace id never replaces a known run URL with another job\'s', async (t) => {
  const s = await setup(t, { finish: false })
  await tickLater(s.app)
  const known = `${s.jenkins.baseUrl}/job/Test/${s.run.number}/`
  t.match(await buildInfo(s.app, 1), { Status: 'Running', JenkinsURL: known }, 'running: a root may still end it')
  const other = rootNaming(s, `${s.jenkins.baseUrl}/job/Other/9/`)
  t.equal((await exportSpans(s.app, [other], { token: SECRET })).statusCode, 200)
  t.match(await buildInfo(s.app, 1), { Status: 'Running', JenkinsURL: known })
})

t.test('a build without a run URL yet: a root naming another job\'s run is not about it', async (t) => {
  const s = await setup(t)
  s.jenkins.failWith = 503 // the poller cannot look: only the span speaks
  const other = rootNaming(s, `${s.jenkins.baseUrl}/job/Other/${s.run.number}/`)
  t.equal((await exportSpans(s.app, [other], { token: SECRET })).statusCode, 200)
  t.match(await buildInfo(s.app, 1), { Status: 'Queued', JenkinsURL: null })
  const metrics = (await s.app.inject({ url: '/metrics' })).body
  t.match(metrics, /testcloud_otlp_spans_dropped_total\{reason="other_run"\} 1\b/)
  // the run's own root, for the build's job: taken
  const own = rootNaming(s, `${s.jenkins.baseUrl}/job/Test/${s.run.number}/`)
  t.equal((await exportSpans(s.app, [{ ...own, spanId: 'ab'.repeat(8) }], { token: SECRET })).statusCode, 200)
  t.match(await buildInfo(s.app, 1), { Status: 'Pass', JenkinsURL: `${s.jenkins.baseUrl}/job/Test/${s.run.number}/` })
})

t.test('a root span\'s run number past 2^31 − 1 (the INT column) is ignored, the rest applies', async (t) => {
  const s = await setup(t)
  s.jenkins.failWith = 503
  const root = rootNaming(s, `${s.jenkins.baseUrl}/job/Test/${s.run.number}/`)
  root.attributes['ci.pipeline.run.number'] = 3_000_000_000
  t.equal((await exportSpans(s.app, [root], { token: SECRET })).statusCode, 200)
  t.match(await buildInfo(s.app, 1), { Status: 'Pass', JenkinsBuildNumber: null })
})

// the plausibility bound the poller applies to Jenkins' times (2000–2100): a span's clock or its run's
// duration may say anything, and 1e300 would be stored as 1e+297 on SQLite and refused by MariaDB (a 500,
// which the exporter retries for ever)
t.test('a root span\'s times that are no times are not stored: a huge durationMillis, a far-future start', async (t) => {
  const latest = Date.UTC(2100, 0, 1) / 1000
  const s = await setup(t)
  s.jenkins.failWith = 503 // the poller cannot look: only the span speaks
  const root = rootNaming(s, `${s.jenkins.baseUrl}/job/Test/${s.run.number}/`)
  root.attributes['ci.pipeline.run.durationMillis'] = 1e300
  t.equal((await exportSpans(s.app, [root], { token: SECRET })).statusCode, 200)
  const ended = await buildInfo(s.app, 1)
  t.match(ended, { Status: 'Pass', StartTime: Math.floor(root.startMs / 1000) })
  t.equal(ended.EndTime, Math.floor(root.endMs / 1000), 'the span\'s own end instead of start + 1e300')

  const later = await setup(t)
  later.jenkins.failWith = 503
  const future = rootNaming(later, `${later.jenkins.baseUrl}/job/Test/${later.run.number}/`)
  const year2500 = Date.UTC(2500, 0, 1)
  Object.assign(future, { startMs: year2500, endMs: year2500 + 60_000 })
  t.equal((await exportSpans(later.app, [future], { token: SECRET })).statusCode, 200)
  const info = await buildInfo(later.app, 1)
  t.equal(info.Status, 'Pass')
  t.ok(info.StartTime <= latest && info.EndTime <= latest, `times before 2100: ${info.StartTime}, ${info.EndTime}`)
})
