import type { FastifyInstance } from 'fastify'
import type {
  KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow
} from 'kysely'
import t, { type Test } from 'tap'
import { receiveSpans, SpanHold } from '../../src/builds/otlp-spans.js'
import { decodeProtobuf } from '../../src/otlp/decode.js'
import type { FakeBuild, FakeJenkins, StageSpec } from '../fixtures/fake-jenkins.js'
import {
  batches, type ExportSpan, exportSpans, exportWithRetry, interleave, parseTraceparent, runSpans, toJson, toProtobuf
} from '../fixtures/otel-exporter.js'
import { build, buildInfo, fakeJenkins, get, post, seedPlan, stageList, tickLater } from '../helper.js'

const SECRET = 'otlp-secret-0123456789abcdef0123456789'

// stages { Build; Docs (when false); Test { parallel { A; B (fails) } }; Deploy (skipped after the failure) }
const PIPELINE: StageSpec[] = [
  'Build', { name: 'Docs', when: false }, { name: 'Test', parallel: ['A', { name: 'B', result: 'FAILURE' }] }, 'Deploy'
]

interface Pair {
  jenkins: FakeJenkins
  otlp: FastifyInstance
  polled: FastifyInstance
  run: FakeBuild
  traceId: string
  parentSpanId: string
}

/**
 * One Jenkins run followed by two services: `otlp` (spans, then the poller) and `polled` (the poller
 * alone). Both trigger the same job with the same parameters: Jenkins keeps one waiting item (303),
 * so both follow the same run. The run starts, both polls see it, then it plays `spec` and finishes.
 */
async function pair (t: Test, spec: StageSpec[] = PIPELINE, play: { finish?: boolean } = {}): Promise<Pair> {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const otlp = await build(t, { env: { ...env, WEBHOOK_TOKEN: SECRET } })
  const polled = await build(t, { env })
  for (const app of [otlp, polled]) {
    await seedPlan(app)
    t.equal((await post(app, '/Build/add', { DevOpsPlanID: 1 })).json().ErrorCode, 1000)
  }
  const triggers = jenkins.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/buildWithParameters'))
  const { traceId, spanId, flags } = parseTraceparent(triggers[0].headers.traceparent)
  t.equal(flags, '01', 'the trigger sends a sampled trace context (the plugin samples by its parent)')
  t.not(parseTraceparent(triggers[1].headers.traceparent).traceId, traceId, 'every trigger has its own trace id')
  const run = jenkins.startQueued((jenkins.lastQueueItem() as { id: number }).id)
  for (const app of [otlp, polled]) await tickLater(app)
  jenkins.playPipeline(run, spec, play)
  return { jenkins, otlp, polled, run, traceId, parentSpanId: spanId }
}

/** Stage/info and the build's result as a reader sees them. */
async function records (app: FastifyInstance): Promise<unknown> {
  const b = await buildInfo(app, 1)
  const build = { Status: b.Status, JenkinsBuildNumber: b.JenkinsBuildNumber, JenkinsURL: b.JenkinsURL }
  return { build, stages: await stageList(app, 1) }
}

/** What the double sends for a run our trigger started: our trace id, our span as the root's parent. */
function ours (p: Pair): { traceId: string, parentSpanId: string, jenkinsUrl: string } {
  return { traceId: p.traceId, parentSpanId: p.parentSpanId, jenkinsUrl: p.jenkins.baseUrl }
}

async function eventList (app: FastifyInstance): Promise<unknown[]> {
  return (await get(app, '/Build/events', { DevOpsPlanID: 1, BuildIndex: 1 })).json().EventList
}

async function sources (app: FastifyInstance): Promise<string[]> {
  const events = (await eventList(app)) as Array<{ Source: string, StageName: string }>
  return [...new Set(events.filter((e) => e.StageName !== '').map((e) => e.Source))].sort()
}

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

t.test('spans of a run that is not ours: answered 200, dropped, and no database write', async (t) => {
  const p = await pair(t)
  const other = p.jenkins.startQueued(p.jenkins.startRun('Test', { cause: 'timer' }).id)
  p.jenkins.playPipeline(other, ['Build'])
  const spans = runSpans(other, { jenkinsUrl: 'http://elsewhere:8080' })
  const log = new StatementLog()
  const deps = { db: p.otlp.db.withPlugin(log), jenkins: p.otlp.jenkins, hold: new SpanHold() }
  const first = await receiveSpans(deps, spans.filter((s) => !s.name.startsWith('BUILD ')).map(decoded))
  t.equal(first.matched, 0)
  t.ok(first.held > 0)
  t.same(log.writes(), [], 'unknown traces without their root: one read, no write')
  const second = await receiveSpans(deps, spans.filter((s) => s.name.startsWith('BUILD ')).map(decoded))
  t.equal(second.dropped.no_build, first.held + 1, 'the root matches no build: everything held is dropped')
  t.same(log.writes(), [], 'still no write')
  t.equal((await exportSpans(p.otlp, spans, { token: SECRET })).statusCode, 200)
  t.same(await stageList(p.otlp, 1), [])
})

t.test('a batch over 1 MiB of JSON is taken; malformed bodies are 400; /v1/metrics and /v1/logs are 200', async (t) => {
  const p = await pair(t)
  const spans = runSpans(p.run, ours(p))
  // 512 spans: the run's, and step spans with long attributes (a script's text, as `sh` spans carry)
  const filler: ExportSpan[] = Array.from({ length: 512 - spans.length }, (_, i) => ({
    ...spans[0],
    spanId: (0x1000 + i).toString(16).padStart(16, '0'),
    name: 'sh',
    attributes: { 'jenkins.pipeline.step.type': 'sh', script: 'x'.repeat(2500) }
  }))
  const big = interleave(spans, filler)
  t.ok(JSON.stringify(toJson(big)).length > 1024 * 1024, 'over 1 MiB')
  t.equal((await exportSpans(p.otlp, big, { token: SECRET, encoding: 'json' })).statusCode, 200)
  t.equal((await stageList(p.otlp, 1)).length, 6)

  const raw = async (payload: string, type: string, extra: Record<string, string> = {}) => await p.otlp.inject({
    method: 'POST',
    url: '/TestCloud/DevOps/Webhook/otlp/v1/traces',
    payload,
    headers: { 'content-type': type, authorization: `Bearer ${SECRET}`, ...extra }
  })
  for (const [payload, type, why] of [
    ['this is not protobuf at all', 'application/x-protobuf', 'garbage protobuf'],
    ['{"resourceSpans": 5}', 'application/json', 'a field of the wrong type'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}', 'application/json', 'an id not in hex'],
    ['{not json', 'application/json', 'not JSON'],
    ['[]', 'application/json', 'not an object']
  ] as const) {
    const res = await raw(payload, type)
    t.equal(res.statusCode, 400, why)
    t.equal(res.json().ErrorCode, 1001, why)
  }
  t.equal((await raw('{}', 'text/plain')).statusCode, 400, 'another content type')
  const encoded = async (coding: string): Promise<number> =>
    (await raw('{}', 'application/json', { 'content-encoding': coding })).statusCode
  t.equal(await encoded('br'), 400, 'another content encoding')
  t.equal(await encoded('gzip'), 200, 'no gzip magic (inflated on the way): taken as sent')
  t.equal((await raw('{}', 'application/json')).statusCode, 200, 'an empty request is a success')
  for (const path of ['/v1/metrics', '/v1/logs']) {
    const res = await exportSpans(p.otlp, spans, { token: SECRET, path })
    t.equal(res.statusCode, 200, path)
    t.equal(res.contentType, 'application/x-protobuf')
    t.equal((await exportSpans(p.otlp, spans, { token: SECRET, path, encoding: 'json' })).body.toString(), '{}')
  }
})

t.test('a wrong or missing token is 401 and stores nothing', async (t) => {
  const p = await pair(t)
  const spans = runSpans(p.run, ours(p))
  for (const token of [undefined, 'wrong-secret-0123456789abcdef0123456']) {
    const res = await exportSpans(p.otlp, spans, { token })
    t.equal(res.statusCode, 401)
    t.equal(JSON.parse(res.body.toString()).ErrorCode, 1004)
  }
  t.same(await stageList(p.otlp, 1), [])
  t.same(await sources(p.otlp), [])
})

t.test('the protobuf the double sends decodes to the spans it meant', async (t) => {
  const { jenkins } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addJob({ name: 'folder/Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const item = jenkins.startRun('folder/Test', { cause: 'user', params: { DevOpsPlanID: '1', BuildIndex: '7' } })
  const run = jenkins.startQueued(item.id)
  jenkins.playPipeline(run, PIPELINE)
  const spans = runSpans(run, { jenkinsUrl: jenkins.baseUrl })
  const back = decodeProtobuf(toProtobuf(spans))
  t.same(back.map((s) => s.name), spans.map((s) => s.name))
  const root = back.find((s) => s.name === 'BUILD folder/Test')
  t.same(root?.attributes['ci.pipeline.parameter.name'], ['DevOpsPlanID', 'BuildIndex'])
  t.equal(root?.attributes['ci.pipeline.run.number'], run.number)
  t.equal(root?.kind, 2)
  const startOf = (list: Array<{ name: string, startMs: number }>): number | undefined =>
    list.find((s) => s.name === 'Stage: Build')?.startMs
  t.equal(startOf(back), startOf(spans), 'nanoseconds floored to ms')
})

/** A span as the receiver reads it, without going through HTTP. */
function decoded (s: ExportSpan) {
  return decodeProtobuf(toProtobuf([s]))[0]
}

const VERBS: Record<string, string> = { SelectQueryNode: 'select', UpdateQueryNode: 'update', InsertQueryNode: 'insert' }

/** Records each statement's verb and table. */
class StatementLog implements KyselyPlugin {
  statements: string[] = []
  transformQuery ({ node }: PluginTransformQueryArgs) {
    const n = node as OperationNode & Record<string, any>
    const table = (x: any): string => x?.table?.identifier?.name ?? x?.identifier?.name ?? '?'
    const verb = VERBS[n.kind]
    this.statements.push(verb == null ? n.kind : `${verb} ${table(n.from?.froms?.[0] ?? n.table ?? n.into)}`)
    return node
  }

  async transformResult ({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> { return result }
  writes (): string[] { return this.statements.filter((s) => !s.startsWith('select')) }
}
