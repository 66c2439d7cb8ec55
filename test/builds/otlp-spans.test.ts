import t from 'tap'
import { receiveSpans, SpanHold, stageUpdates } from '../../src/builds/otlp-spans.js'
import type { OtlpSpan } from '../../src/otlp/decode.js'
import type { TrackedBuild } from '../../src/repositories/builds.js'
import { appWithBuilds, buildInfo, stageList } from '../helper.js'

const TRACE = 'ab'.repeat(16)
let next = 1
const spanId = (): string => (next++).toString(16).padStart(16, '0')

function span (name: string, parent: OtlpSpan | null, startMs: number, endMs: number,
  attributes: OtlpSpan['attributes'] = {}): OtlpSpan {
  const ids = { traceId: TRACE, spanId: spanId(), parentSpanId: parent?.spanId ?? '' }
  return { ...ids, name, kind: 1, startMs, endMs, attributes, statusCode: 1, statusMessage: '' }
}

function stage (name: string, id: string, parent: OtlpSpan, startMs: number, endMs: number,
  result = 'SUCCESS'): OtlpSpan {
  return span(`Stage: ${name}`, parent, startMs, endMs, {
    'jenkins.pipeline.step.type': 'stage',
    'jenkins.pipeline.step.id': id,
    'jenkins.pipeline.step.name': name,
    'jenkins.pipeline.step.result': result
  })
}

const BUILD = { id: 1, plan_id: 1, build_index: 1, status: 'Running', jenkins_url: null } as unknown as TrackedBuild

t.test('synthetic declarative stages are named as Pipeline Graph View (and so the poller) shows them', async (t) => {
  const run = span('Phase: Run', null, 0, 10_000)
  const spans = [stage('Declarative: Checkout SCM', '5', run, 1000, 2000), stage('Build', '9', run, 2100, 3000),
    stage('Declarative: Post Actions', '30', run, 3100, 3200), run]
  const { updates } = stageUpdates(BUILD, spans, spans.slice(0, 3), [])
  t.same(updates.map((u) => u.stageName), ['Checkout SCM', 'Build', 'Post Actions'])
  t.same(updates.map((u) => u.preStageNames), [undefined, ['Checkout SCM'], ['Build']], 'each after the one before')
})

t.test('a stage whose parents have not come is not placed: it waits', async (t) => {
  const agent = span('Agent', null, 0, 10_000, { 'jenkins.pipeline.step.type': 'node' })
  agent.parentSpanId = 'f'.repeat(16) // Phase: Run has not ended yet
  const build = stage('Build', '9', agent, 1000, 2000)
  const planned = stageUpdates(BUILD, [build], [build], [])
  t.same(planned.updates, [])
  t.same(planned.deferred, [build])
  const polled = { name: 'Build', status: 'Running', start_time: 1, end_time: null, nodeId: '9', queueReason: null }
  const known = stageUpdates(BUILD, [build], [build], [polled])
  t.same(known.updates.map((u) => [u.stageName, u.status]), [['Build', 'Pass']], 'recorded by the poller: filled in')
})

t.test('the hold is bounded in spans and in age, and holds a span sent twice once', async (t) => {
  const hold = new SpanHold(3, 1000)
  const a = [span('Stage: A', null, 0, 1), span('Stage: B', null, 0, 1)]
  t.same(hold.add('t1', a, 0), [])
  t.same(hold.add('t1', a, 10), [], 'the same spans again')
  t.equal(hold.size, 2)
  const more = [span('Stage: C', null, 0, 1), span('Stage: D', null, 0, 1)]
  t.same(hold.add('t2', more, 20), [['t1', 2]], 'over 3 spans: the oldest trace goes')
  t.same(hold.expire(1500), [['t2', 2]], 'older than a second')
  t.equal(hold.size, 0)
  t.same(hold.take('t2'), [])
})

t.test('a root span without our trace id is matched by our parameters while the build has no run yet', async (t) => {
  const { app, planId } = await appWithBuilds(t, 2)
  const deps = { db: app.db, jenkins: app.jenkins, hold: new SpanHold() }
  const run = span('Phase: Run', null, 1_800_000_000_000, 1_800_000_060_000)
  const root = span('BUILD Test', null, 1_800_000_000_000, 1_800_000_060_000, {
    'ci.pipeline.id': 'Test',
    'ci.pipeline.run.url': 'http://not-configured:8080/job/Test/5/',
    'ci.pipeline.run.number': 5,
    'ci.pipeline.parameter.name': ['DevOpsPlanID', 'BuildIndex'],
    'ci.pipeline.parameter.value': [String(planId), '2'],
    'ci.pipeline.run.result': 'SUCCESS'
  })
  run.parentSpanId = root.spanId
  root.kind = 2
  const build = stage('Build', '6', run, 1_800_000_001_000, 1_800_000_002_000)
  t.equal((await receiveSpans(deps, [build, run])).held, 2, 'held until the root names the build')
  const report = await receiveSpans(deps, [root])
  t.equal(report.matched, 2)
  t.same((await stageList(app, planId, 2)).map((s) => [s.StageName, s.Status]), [['Build', 'Pass']])
  const info = await buildInfo(app, planId, 2)
  t.equal(info.Status, 'Pass')
  t.equal(info.JenkinsBuildNumber, 5)
  t.equal(info.JenkinsURL, null, 'a URL under no configured Jenkins is not kept')
  t.same(await stageList(app, planId, 1), [], 'the other build is untouched')

  // the same trace again names run 5: a root naming another run of this build is not about it
  const other = { ...root, spanId: spanId(), attributes: { ...root.attributes, 'ci.pipeline.run.number': 6 } }
  t.same((await receiveSpans(deps, [other])).dropped, { other_run: 1 })
})

t.test('one export makes the poller look at no more than 8 builds; the others wait for the next poll', async (t) => {
  const { app } = await appWithBuilds(t, 10)
  const builds = await app.db.selectFrom('builds').select(['id', 'trace_id']).orderBy('id').execute()
  const spans = builds.flatMap((b) => {
    const run = { ...span('Phase: Run', null, 1_800_000_000_000, 1_800_000_060_000), traceId: b.trace_id as string }
    return [run, { ...stage('Build', '6', run, 1_800_000_001_000, 1_800_000_002_000), traceId: b.trace_id as string }]
  })
  let looks = 0
  const refresh = async (): Promise<boolean> => { looks++; return false } // another poll holds each of them
  const report = await receiveSpans({ db: app.db, jenkins: app.jenkins, hold: new SpanHold(), refresh }, spans)
  t.equal(looks, 8)
  t.equal(report.held, 10, 'no stage placed: the poller records them, the spans wait to fill in')
  t.equal(report.matched, 0)
})

t.test('Phase: Start starts a queued build at the run\'s start', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  const [b] = await app.db.selectFrom('builds').select(['trace_id']).execute()
  const start = { ...span('Phase: Start', null, 1_800_000_000_500, 1_800_000_003_000), traceId: b.trace_id as string }
  t.equal((await buildInfo(app, planId, 1)).Status, 'Queued')
  t.equal((await receiveSpans({ db: app.db, jenkins: app.jenkins, hold: new SpanHold() }, [start])).matched, 1)
  const info = await buildInfo(app, planId, 1)
  t.equal(info.Status, 'Running')
  t.equal(info.StartTime, 1_800_000_000)
})

t.test('a look that takes longer than the export may wait goes on alone: the new stage waits for it', async (t) => {
  const { app } = await appWithBuilds(t, 1)
  const [b] = await app.db.selectFrom('builds').select(['trace_id']).execute()
  const run = { ...span('Phase: Run', null, 1_800_000_000_000, 1_800_000_060_000), traceId: b.trace_id as string }
  const build = { ...stage('Build', '6', run, 1_800_000_001_000, 1_800_000_002_000), traceId: b.trace_id as string }
  const never = async (): Promise<boolean> => await new Promise(() => {}) // Jenkins does not answer
  const deps = { db: app.db, jenkins: app.jenkins, hold: new SpanHold(), refresh: never, refreshWaitMs: 20 }
  const report = await receiveSpans(deps, [run, build])
  t.equal(report.held, 1, 'answered without it; the stage span waits to fill in what the poller records')
})
