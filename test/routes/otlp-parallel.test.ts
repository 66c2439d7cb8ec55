import type { Test } from 'tap'
import t from 'tap'
import { batches, exportSpans, runSpans } from '../fixtures/otel-exporter.js'
import type { FakeJenkinsOptions, StageSpec } from '../fixtures/fake-jenkins.js'
import { SECRET, tracedRun } from '../fixtures/otlp-pair.js'
import { stageList, tickLater } from '../helper.js'

// Parallel branches as the OpenTelemetry plugin reports them: every `Parallel branch:` span ends when the
// parallel's end node comes, after the slowest branch (an open issue of the plugin), so a branch of 10 s next to
// one of 200 s has a span of 200 s. The stage keeps its own 10 s, whichever reports it first.

const SPEC: StageSpec[] = [
  'Build',
  { name: 'Test', parallel: [{ name: 'A', millis: 10_000 }, { name: 'B', millis: 200_000 }] }
]

async function setup (t: Test, opts: FakeJenkinsOptions, spec = SPEC) {
  const { app, jenkins, run, traceId, parentSpanId } = await tracedRun(t, opts)
  await tickLater(app)
  jenkins.playPipeline(run, spec, { finish: spec === SPEC })
  const trace = { traceId, parentSpanId, jenkinsUrl: jenkins.baseUrl }
  return { app, jenkins, run, trace, spans: runSpans(run, trace) }
}

const times = (stages: Array<Record<string, any>>): Record<string, [number, number]> =>
  Object.fromEntries(stages.map((s) => [s.StageName, [s.StartTime, s.EndTime]]))
const seconds = (stages: Array<Record<string, any>>): Record<string, number> =>
  Object.fromEntries(stages.map((s) => [s.StageName, s.EndTime - s.StartTime]))

t.test('the double: each branch span ends with the slowest branch, its declarative stage at its own end', async (t) => {
  const { spans } = await setup(t, { flavor: 'graph-view' })
  const span = (name: string) => spans.find((s) => s.name === name) as { startMs: number, endMs: number }
  t.equal(span('Parallel branch: A').endMs, span('Parallel branch: B').endMs)
  t.ok(span('Stage: A').endMs - span('Stage: A').startMs <= 10_000, 'the stage inside A: 10 s')
  t.ok(span('Parallel branch: A').endMs - span('Parallel branch: A').startMs >= 200_000, 'the branch span: 200 s')
})

t.test('branches the poller recorded (wfapi: by their inner stages): the spans keep their times', async (t) => {
  const { app, jenkins, spans } = await setup(t, { flavor: 'stage-view', blueOcean: false })
  await tickLater(app)
  const polled = await stageList(app, 1)
  t.match(seconds(polled), { A: 10, B: 200 })
  jenkins.failWith = 503
  for (const batch of batches(spans)) t.equal((await exportSpans(app, batch, { token: SECRET })).statusCode, 200)
  t.same(times(await stageList(app, 1)), times(polled), 'no stage that ended changes its times')
})

t.test('spans alone (Jenkins unreachable): a declarative branch lasts as long as the stage inside it', async (t) => {
  const { app, jenkins, spans } = await setup(t, { flavor: 'graph-view' })
  jenkins.failWith = 503
  for (const batch of batches(spans)) t.equal((await exportSpans(app, batch, { token: SECRET })).statusCode, 200)
  const got = seconds(await stageList(app, 1))
  t.ok(got.A >= 9 && got.A <= 11, `A: ${got.A} s`)
  t.ok(got.B >= 199 && got.B <= 201, `B: ${got.B} s`)
})

t.test('the poller saw the branches running (graph view), then Jenkins out of reach: each its own end', async (t) => {
  const running: StageSpec[] = [
    'Build',
    { name: 'Test', parallel: [{ name: 'A', result: 'running' }, { name: 'B', result: 'running' }] }
  ]
  const { app, jenkins, run, trace } = await setup(t, { flavor: 'graph-view' }, running)
  await tickLater(app)
  const branches = (await stageList(app, 1)).filter((s) => s.StageName === 'A' || s.StageName === 'B')
  t.same(branches.map((s) => s.Status), ['Running', 'Running'])
  jenkins.playPipeline(run, SPEC)
  jenkins.failWith = 503
  for (const batch of batches(runSpans(run, trace))) {
    t.equal((await exportSpans(app, batch, { token: SECRET })).statusCode, 200)
  }
  const got = seconds(await stageList(app, 1))
  t.ok(got.A >= 9 && got.A <= 11, `A: ${got.A} s`)
  t.ok(got.B >= 199 && got.B <= 201, `B: ${got.B} s`)
})
