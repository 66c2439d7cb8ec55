import type {
  KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow
} from 'kysely'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { receiveSpans, SpanHold } from '../../src/builds/otlp-spans.js'
import { decodeProtobuf } from '../../src/otlp/decode.js'
import { traceStatements } from '../../src/repositories/progress.js'
import {
  type ExportSpan, exportSpans, interleave, runSpans, toJson, toProtobuf
} from '../fixtures/otel-exporter.js'
import { eventList, ours, pair, PIPELINE, SECRET, sources } from '../fixtures/otlp-pair.js'
import { build, fakeJenkins, stageList } from '../helper.js'

// The OTLP/HTTP receiver as an exporter meets it: encodings, limits, credentials, unknown runs.

t.test('spans of a run that is not ours: answered 200, dropped, and no database write', async (t) => {
  const p = await pair(t)
  const other = p.jenkins.startQueued(p.jenkins.startRun('Test', { cause: 'timer' }).id)
  p.jenkins.playPipeline(other, ['Build'])
  const spans = runSpans(other, { jenkinsUrl: 'http://elsewhere:8080' })
  const log = new StatementLog()
  // the write path runs its own prepared statements, which Kysely's plugins never see: both are counted
  traceStatements((name) => log.statements.push(name))
  t.teardown(() => { traceStatements(undefined) })
  const deps = { db: p.otlp.db.withPlugin(log), jenkins: p.otlp.jenkins, hold: new SpanHold() }
  const first = await receiveSpans(deps, spans.filter((s) => !s.name.startsWith('BUILD ')).map(decoded))
  t.equal(first.matched, 0)
  t.ok(first.held > 0)
  t.same(log.writes(), [], 'unknown traces without their root: one read, no write')
  t.same(log.statements, ['select builds'], 'the one read: their trace ids')
  const second = await receiveSpans(deps, spans.filter((s) => s.name.startsWith('BUILD ')).map(decoded))
  t.equal(second.dropped.no_build, first.held + 1, 'the root matches no build: everything held is dropped')
  t.same(log.writes(), [], 'still no write')
  const events = (await eventList(p.otlp)).length
  t.equal((await exportSpans(p.otlp, spans, { token: SECRET })).statusCode, 200)
  t.same(await stageList(p.otlp, 1), [])
  t.equal((await eventList(p.otlp)).length, events, 'nothing in any build\'s history either')

  // the same count sees the write path's statements: our run's spans write
  const known = await receiveSpans(deps, runSpans(p.run, ours(p)).map(decoded))
  t.ok(known.matched > 0)
  t.ok(log.writes().length > 0, `our run's spans: ${log.writes().join(', ')}`)
  t.ok(log.writes().some((w) => w === 'insert stages'), 'including the write path\'s own statements')
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
  const bomb = await p.otlp.inject({
    method: 'POST',
    url: '/TestCloud/DevOps/Webhook/otlp/v1/traces',
    payload: gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x20)),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${SECRET}` }
  })
  t.equal(bomb.statusCode, 413, 'over 16 MiB once gunzipped (17 KiB sent)')
  t.equal(bomb.json().ErrorCode, 1008)
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

t.test('the rate limit does not apply: a 429 would make the exporter send the batch again', async (t) => {
  const app = await build(t, { env: { WEBHOOK_TOKEN: SECRET, RATE_LIMIT_PER_MINUTE: '2' } })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await exportSpans(app, [], { token: SECRET })).statusCode)
  t.same(statuses, [200, 200, 200, 200])
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

const VERBS: Record<string, string> = {
  SelectQueryNode: 'select', UpdateQueryNode: 'update', InsertQueryNode: 'insert'
}

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
