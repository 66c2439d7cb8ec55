import t from 'tap'
import { batches, exportSpans, exportWithRetry, runSpans } from '../fixtures/otel-exporter.js'
import { eventList, ours, pair, PIPELINE, records, SECRET, sources } from '../fixtures/otlp-pair.js'
import { build, buildInfo, freshDatabase, stageList, tickLater } from '../helper.js'

// The OTLP receiver against the poller: the same Jenkins run, pushed as spans or polled, gives the
// same records, whatever the batching, order, repeats or processes (docs/API.md, round 3).

t.test('Jenkins out of reach: a run pushed as protobuf, batch by batch, records what the poller records', async (t) => {
  const p = await pair(t)
  await tickLater(p.polled)
  const expected = await records(p.polled)
  const spans = runSpans(p.run, ours(p))
  const at = (name: string): number => spans.findIndex((s) => s.name === name)
  t.ok(at('Stage: A') < at('Parallel branch: A'), 'children end (and go) first')
  p.jenkins.failWith = 503 // the poller, asked to look, cannot: the spans are all there is
  for (const batch of batches(spans, { delayMs: 5000 })) {
    const res = await exportSpans(p.otlp, batch, { token: SECRET })
    t.equal(res.statusCode, 200)
    t.equal(res.contentType, 'application/x-protobuf')
    t.equal(res.body.length, 0, 'an empty ExportTraceServiceResponse')
  }
  t.same(await records(p.otlp), expected, 'the spans alone give the poller\'s records')
  t.same(await sources(p.otlp), ['otlp'], 'every stage came from the spans')
  p.jenkins.failWith = null
  await tickLater(p.otlp)
  t.same(await records(p.otlp), expected, 'and the poller\'s look changes nothing')
})

t.test('JSON, gzip, a parent in a later batch, a skip after a failure that the spans call an error', async (t) => {
  const p = await pair(t)
  const spans = runSpans(p.run, { ...ours(p), skippedAfterFailure: 'ERROR' })
  const small = batches(spans, { maxBatch: 3 })
  const batchOf = (name: string): number => small.findIndex((b) => b.some((s) => s.name === name))
  t.ok(batchOf('Stage: A') < batchOf('Parallel branch: A'), 'the branch (the inner stage\'s parent) comes later')
  p.jenkins.failWith = 503
  for (const batch of small) {
    t.equal((await exportSpans(p.otlp, batch, { token: SECRET, encoding: 'json', gzip: true })).statusCode, 200)
  }
  const deploy = (await stageList(p.otlp, 1)).find((s) => s.StageName === 'Deploy')
  t.equal(deploy?.Status, 'Fail', 'the span says FAILURE: the spans cannot tell a skip after a failure')
  p.jenkins.failWith = null
  await tickLater(p.otlp)
  await tickLater(p.polled)
  t.same(await records(p.otlp), await records(p.polled), 'the poller corrects it')
  // the same batches again (a retried export): nothing moves back
  const before = (await eventList(p.otlp)).length
  for (const batch of small) await exportSpans(p.otlp, batch, { token: SECRET, encoding: 'json' })
  t.equal((await eventList(p.otlp)).length, before, 'a batch sent twice changes nothing')
  t.same(await records(p.otlp), await records(p.polled))
})

t.test('batches in any order, and each one twice: the poller places new stages, the records converge', async (t) => {
  const p = await pair(t)
  const spans = runSpans(p.run, ours(p))
  const list = batches(spans, { maxBatch: 4 }).reverse()
  for (const batch of list) {
    t.same(await exportWithRetry(p.otlp, batch, { token: SECRET }), [200], 'never a status the exporter retries')
  }
  for (const batch of list) await exportSpans(p.otlp, batch, { token: SECRET })
  await tickLater(p.polled)
  t.same(await records(p.otlp), await records(p.polled))
})

t.test('two server processes on one database, the batches going to either: the same records', async (t) => {
  const db = await freshDatabase(t)
  const p = await pair(t, PIPELINE, {}, db)
  const other = await build(t, {
    env: {
      DATABASE_URL: db,
      WEBHOOK_TOKEN: SECRET,
      JENKINS_URL: p.jenkins.baseUrl,
      JENKINS_USER: p.jenkins.user,
      JENKINS_TOKEN: p.jenkins.apiToken
    }
  })
  const list = batches(runSpans(p.run, ours(p)), { maxBatch: 3 })
  for (const [i, batch] of list.entries()) {
    t.equal((await exportSpans(i % 2 === 0 ? p.otlp : other, batch, { token: SECRET })).statusCode, 200)
  }
  await tickLater(p.polled)
  t.same(await records(other), await records(p.polled), 'each process matches by the trace id stored with the build')
})

t.test('a stage the poller has recorded: the span makes the build due, and changes no ended stage', async (t) => {
  const p = await pair(t, ['Build', { name: 'Test', result: 'running' }], { finish: false })
  await tickLater(p.otlp)
  const before = await records(p.otlp)
  const spans = runSpans(p.run, ours(p))
    .filter((s) => s.name === 'Stage: Build')
  t.equal((await exportSpans(p.otlp, spans, { token: SECRET })).statusCode, 200)
  t.same(await records(p.otlp), before)
  t.equal((await p.otlp.poller.runOnce()).claimed, 1, 'due at once, for whichever process ticks next')
})

t.test('no root span at all (the plugin lost it): the stages still land, the poller ends the build', async (t) => {
  const p = await pair(t)
  const spans = runSpans(p.run, { ...ours(p), noRoot: true })
  p.jenkins.failWith = 503
  t.equal((await exportSpans(p.otlp, spans, { token: SECRET })).statusCode, 200)
  t.equal((await buildInfo(p.otlp, 1)).Status, 'Running', 'only the root span says the run ended')
  t.equal((await stageList(p.otlp, 1)).length, 6)
  p.jenkins.failWith = null
  await tickLater(p.otlp)
  await tickLater(p.polled)
  t.same(await records(p.otlp), await records(p.polled))
})

t.test('a run with a random trace id is held until its root span names it by URL, job and number', async (t) => {
  const p = await pair(t)
  await tickLater(p.polled)
  const spans = runSpans(p.run, { jenkinsUrl: p.jenkins.baseUrl }) // no traceparent reached Jenkins
  const [root] = spans.splice(spans.findIndex((s) => s.name.startsWith('BUILD ')), 1)
  p.jenkins.failWith = 503
  t.equal((await exportSpans(p.otlp, spans, { token: SECRET })).statusCode, 200)
  t.same(await stageList(p.otlp, 1), [], 'held: nothing says which build they belong to')
  t.equal((await exportSpans(p.otlp, [root], { token: SECRET })).statusCode, 200)
  t.same(await records(p.otlp), await records(p.polled), 'the root names the run: the held stages are applied')
  const metrics = (await p.otlp.inject({ url: '/metrics' })).body
  t.match(metrics, new RegExp(`testcloud_otlp_spans_received_total ${spans.length + 1}\\b`))
  t.match(metrics, /testcloud_otlp_spans_held_total [1-9]/)
  t.match(metrics, /testcloud_otlp_spans_matched_total 10\b/, 'eight stage spans (A, B two each), Phase: Start, root')
  t.match(metrics, /testcloud_otlp_spans_dropped_total\{reason="not_stage"\} [1-9]/, 'the step spans')
})

t.test('declarative synthetic stages, polled on stage view and then pushed: each recorded once, as the poller names it', async (t) => {
  const spec = ['Build', { name: 'Test', result: 'FAILURE' as const }, 'Deploy']
  const p = await pair(t, spec, { synthetic: true }, undefined, { flavor: 'stage-view' })
  await tickLater(p.otlp)
  await tickLater(p.polled)
  const names = (await stageList(p.otlp, 1)).map((s) => s.StageName)
  t.same(names, ['Checkout SCM', 'Build', 'Test', 'Deploy', 'Post Actions'], 'wfapi\'s "Declarative: …" named as graph view')
  for (const batch of batches(runSpans(p.run, ours(p)))) {
    t.equal((await exportSpans(p.otlp, batch, { token: SECRET })).statusCode, 200)
  }
  t.same((await stageList(p.otlp, 1)).map((s) => s.StageName), names, 'the spans\' "Stage: Declarative: …" add nothing')
  t.same(await records(p.otlp), await records(p.polled))
})
