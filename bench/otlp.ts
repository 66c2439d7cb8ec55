// The OTLP receiver's use case in-process (decode + apply, no HTTP): one export of 512 spans (the
// exporter's batch) over 50 running builds whose stages the poller has recorded as Running, the
// spans bringing their ends; then the same export for traces no build has, which must cost no write.
import {
  Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult,
  type UnknownRow
} from 'kysely'
import { createDialect } from '../db/dialect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Database } from '../db/schema.js'
import { receiveSpans, SpanHold } from '../src/builds/otlp-spans.js'
import { loadConfig } from '../src/config.js'
import { JenkinsRegistry } from '../src/jenkins/registry.js'
import { decodeProtobuf } from '../src/otlp/decode.js'
import { traceStatements } from '../src/repositories/progress.js'
import { FakeJenkins } from '../test/fixtures/fake-jenkins.js'
import { batches, interleave, runSpans, toProtobuf } from '../test/fixtures/otel-exporter.js'
import { seedRunning } from './seed.js'

const BUILDS = 50
/** enough for two exports of 512 spans: the first warms the process up (as a server is), the second is measured */
const STAGES = 20

/**
 * Counts the statements that write: Kysely's (as a plugin of the database handle given to receiveSpans)
 * and the write path's own prepared statements, which no Kysely plugin sees (traceStatements).
 */
class Writes implements KyselyPlugin {
  count = 0
  transformQuery ({ node }: PluginTransformQueryArgs) {
    if (node.kind !== 'SelectQueryNode') this.count++
    return node
  }

  async transformResult ({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> { return result }

  /** Runs `work` with the write path's statements counted too (named "select builds (lock)", "insert stages"…). */
  async during<T> (work: () => Promise<T>): Promise<T> {
    traceStatements((name) => { if (!name.startsWith('select')) this.count++ })
    try {
      return await work()
    } finally {
      traceStatements(undefined)
    }
  }
}

async function countPassed (db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('stages').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'Pass').executeTakeFirst()
  return Number(r?.n ?? 0)
}

export interface OtlpFigures {
  spans: number
  builds: number
  bytes: number
  decode_ms: number
  apply_ms: number
  spans_per_s: number
  cpu_ms: number
  stages_ended: number
  unknown_traces_writes: number
}

export async function benchOtlp (databaseUrl: string): Promise<OtlpFigures> {
  const db = new Kysely<Database>({ dialect: await createDialect(databaseUrl) })
  try {
    await migrateToLatest(db, { info: () => {}, error: () => {} })
    await seedRunning(db, BUILDS)
    // 50 runs of `Bench`, ten stages each, as the Jenkins double plays them
    const jenkins = new FakeJenkins()
    jenkins.addJob({ name: 'Bench', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const names = Array.from({ length: STAGES }, (_, i) => `Stage ${i + 1}`)
    const runs = Array.from({ length: BUILDS }, () => {
      const run = jenkins.startQueued(jenkins.startRun('Bench', { cause: 'user' }).id)
      jenkins.playPipeline(run, names, { finish: false })
      return run
    })
    const traceIds = runs.map((_, i) => (i + 1).toString(16).padStart(32, '0'))
    // what the trigger and the poller recorded: each build's trace id, its stages Running under their node ids
    const now = Math.floor(Date.now() / 1000)
    for (const [i, run] of runs.entries()) {
      await db.updateTable('builds').set({ trace_id: traceIds[i] }).where('build_index', '=', i + 1).execute()
      await db.insertInto('stages').values(run.stages.map((s, k) => ({
        build_id: i + 1,
        stage_id: k + 1,
        name: s.name,
        pre_stage_ids: JSON.stringify(k === 0 ? [] : [k]),
        status: 'Running',
        detail: JSON.stringify({ JenkinsNodeID: s.id }),
        start_time: now,
        end_time: null
      }))).execute()
    }
    const ofRun = (i: number): ReturnType<typeof runSpans> =>
      runSpans(runs[i], { traceId: traceIds[i], jenkinsUrl: 'http://jenkins.invalid' })
        .filter((s) => s.name.startsWith('Stage: ') || s.name === 'sh')
    const spans = interleave(...runs.map((_, i) => ofRun(i)))
    const [warmup, batch] = batches(spans, { delayMs: Number.MAX_SAFE_INTEGER, maxBatch: 512 })
    const body = toProtobuf(batch)
    const jenkinsRegistry = new JenkinsRegistry(loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }))
    const hold = new SpanHold()
    // the warm-up is a known batch: the counter must see its writes, or a zero below would prove nothing
    const knownWrites = new Writes()
    await knownWrites.during(async () =>
      await receiveSpans({ db: db.withPlugin(knownWrites), jenkins: jenkinsRegistry, hold }, decodeProtobuf(toProtobuf(warmup))))
    if (knownWrites.count === 0) throw new Error('the write counter saw no write for a known batch')
    const endedBefore = await countPassed(db)

    const cpu = process.cpuUsage()
    const t0 = performance.now()
    const decoded = decodeProtobuf(body)
    const t1 = performance.now()
    const report = await receiveSpans({ db, jenkins: jenkinsRegistry, hold }, decoded)
    const t2 = performance.now()
    const used = process.cpuUsage(cpu)
    const ended = await countPassed(db) - endedBefore

    // the same spans under trace ids no build has: held in memory, nothing written
    const writes = new Writes()
    const strangers = decodeProtobuf(toProtobuf(batch.map((s) => ({ ...s, traceId: 'f' + s.traceId.slice(1) }))))
    await writes.during(async () =>
      await receiveSpans({ db: db.withPlugin(writes), jenkins: jenkinsRegistry, hold: new SpanHold() }, strangers))

    if (report.matched === 0) throw new Error(`nothing matched: ${JSON.stringify(report)}`)
    const round = (x: number): number => Math.round(x * 10) / 10
    return {
      spans: batch.length,
      builds: new Set(batch.map((s) => s.traceId)).size,
      bytes: body.length,
      decode_ms: round(t1 - t0),
      apply_ms: round(t2 - t1),
      spans_per_s: Math.round(batch.length / ((t2 - t0) / 1000)),
      // this process's CPU for the same work: what the machine's other load does not inflate
      cpu_ms: Math.round((used.user + used.system) / 1000),
      stages_ended: ended,
      unknown_traces_writes: writes.count
    }
  } finally {
    await db.destroy()
  }
}
