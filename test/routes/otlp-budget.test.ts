import t from 'tap'
import { receiveSpans, SpanHold } from '../../src/builds/otlp-spans.js'
import type { OtlpSpan } from '../../src/otlp/decode.js'
import { appWithBuilds } from '../helper.js'

// One export waits on the poller's looks at Jenkins for at most 5 s in all: the plugin's exporter
// gives up after 10 s and sends the whole batch again, so a slow Jenkins must not hold it that long.

let next = 1
const spanId = (): string => (next++).toString(16).padStart(16, '0')
const T0 = 1_800_000_000_000

/** A trace's `Phase: Run` and a stage under it that no build has recorded yet: the poller is asked to look. */
function newStage (traceId: string): OtlpSpan[] {
  const base = { traceId, kind: 1, statusCode: 1, statusMessage: '' }
  const run: OtlpSpan = {
    ...base, spanId: spanId(), parentSpanId: '', name: 'Phase: Run', startMs: T0, endMs: T0 + 60_000, attributes: {}
  }
  const stage: OtlpSpan = {
    ...base,
    spanId: spanId(),
    parentSpanId: run.spanId,
    name: 'Stage: Build',
    startMs: T0 + 1000,
    endMs: T0 + 2000,
    attributes: {
      'jenkins.pipeline.step.type': 'stage',
      'jenkins.pipeline.step.id': '6',
      'jenkins.pipeline.step.name': 'Build',
      'jenkins.pipeline.step.result': 'SUCCESS'
    }
  }
  return [run, stage]
}

t.test('slow looks at Jenkins: one export spends at most its 5 s budget on them, not 3 s per build', async (t) => {
  const { app } = await appWithBuilds(t, 8)
  const builds = await app.db.selectFrom('builds').select(['trace_id']).orderBy('id').execute()
  const spans = builds.flatMap((b) => newStage(b.trace_id as string))
  // the export's clock: each look holds it 3 s (the most one may) before it gives up on Jenkins
  let clock = T0
  let looks = 0
  const slow = async (): Promise<boolean> => {
    looks++
    clock += 3000
    return await new Promise(() => {}) // Jenkins does not answer
  }
  const deps = {
    db: app.db, jenkins: app.jenkins, hold: new SpanHold(), now: () => clock, refresh: slow, refreshWaitMs: 20
  }
  const report = await receiveSpans(deps, spans)
  t.equal(looks, 2, 'a look at 0 s and one at 3 s; none once the 5 s are spent')
  t.ok(clock - T0 <= 6000, 'answered well within the exporter\'s 10 s')
  t.equal(report.held, 8, 'every new stage waits for the poller, none is lost')
})

t.test('fast looks: the budget does not cut the looks short', async (t) => {
  const { app } = await appWithBuilds(t, 8)
  const builds = await app.db.selectFrom('builds').select(['trace_id']).orderBy('id').execute()
  let clock = T0
  let looks = 0
  const quick = async (): Promise<boolean> => { looks++; clock += 100; return false }
  const deps = { db: app.db, jenkins: app.jenkins, hold: new SpanHold(), now: () => clock, refresh: quick }
  await receiveSpans(deps, builds.flatMap((b) => newStage(b.trace_id as string)))
  t.equal(looks, 8)
})
