import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { FakeJenkinsOptions } from '../fixtures/fake-jenkins.js'
import { batches, exportSpans, runSpans } from '../fixtures/otel-exporter.js'
import { ours, pair, records, SECRET } from '../fixtures/otlp-pair.js'
import { build, fakeJenkins, post, seedPlan, stageList, tickLater } from '../helper.js'
import { stageUpdates } from '../../src/builds/otlp-spans.js'
import { fromWfapi } from '../../src/jenkins/stages.js'
import type { OtlpSpan } from '../../src/otlp/decode.js'
import type { TrackedBuild } from '../../src/repositories/builds.js'

// Declarative adds stages of its own ("Declarative: Checkout SCM" before the Jenkinsfile's stages,
// "Declarative: Post Actions" after them: pipeline-model-definition SyntheticStageNames). Graph view shows
// them without the prefix, stage view with it, Blue Ocean not at all, the OpenTelemetry spans under their
// label (docs/jenkins-contract.md §12.9). Whatever the source, a run has each of them once, named as graph
// view names it.

const FLAVORS: Record<string, FakeJenkinsOptions> = {
  'graph view': { flavor: 'graph-view' },
  'stage view + Blue Ocean': { flavor: 'stage-view' },
  'stage view alone': { flavor: 'stage-view', blueOcean: false }
}

// stages { Build; Test (fails); Deploy (skipped after the failure) } post { always { … } }
const FAILING = ['Build', { name: 'Test', result: 'FAILURE' as const }, 'Deploy']

async function polledRun (t: Test, opts: FakeJenkinsOptions) {
  const { jenkins, env } = await fakeJenkins(t, opts)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  return { app, jenkins, run, planId }
}

t.test('the double: each view shows the synthetic stages as its plugin does', async (t) => {
  const graph = await polledRun(t, { flavor: 'graph-view' })
  graph.jenkins.playPipeline(graph.run, ['Build'], { synthetic: { pre: ['Checkout SCM', 'Tool Install'] } })
  const tree = await (await fetch(`${graph.jenkins.baseUrl}/job/Test/1/stages/tree`, auth(graph.jenkins))).json()
  t.same(tree.data.stages.map((s: { name: string, title: string, synthetic: boolean }) => [s.name, s.title, s.synthetic]), [
    ['Checkout SCM', 'Checkout SCM', true], ['Tool Install', 'Tool Install', true], ['Build', 'Build', false],
    ['Post Actions', 'Post Actions', true]
  ], 'graph view: PipelineNodeUtil.getDisplayName drops "Declarative: ", synthetic: true')

  const stage = await polledRun(t, { flavor: 'stage-view' })
  stage.jenkins.playPipeline(stage.run, ['Build'], { synthetic: true })
  const base = `${stage.jenkins.baseUrl}/job/Test/1`
  const describe = await (await fetch(`${base}/wfapi/describe`, auth(stage.jenkins))).json()
  t.same(describe.stages.map((s: { name: string }) => s.name),
    ['Declarative: Checkout SCM', 'Build', 'Declarative: Post Actions'], 'wfapi: the FlowNode label')
  const blueUrl = `${stage.jenkins.baseUrl}/blue/rest/organizations/jenkins/pipelines/Test/runs/1/nodes/`
  const nodes = await (await fetch(blueUrl, auth(stage.jenkins))).json()
  t.same(nodes.map((n: { displayName: string }) => n.displayName), ['Build'], 'Blue Ocean: hidden')
  t.same(nodes[0].edges, [], 'and no edge to them')

  const spans = runSpans(stage.run, { jenkinsUrl: stage.jenkins.baseUrl })
  const checkout = spans.find((s) => s.name === 'Stage: Declarative: Checkout SCM')
  t.match(checkout?.attributes, { 'jenkins.pipeline.step.name': 'Declarative: Checkout SCM', 'jenkins.pipeline.step.type': 'stage' })
  t.equal(spans.find((s) => s.spanId === checkout?.parentSpanId)?.name, 'Agent', 'in the agent, as the plugin\'s MBP test chains it')
  t.ok(spans.some((s) => s.name === 'Stage: Declarative: Post Actions'))
})

for (const [flavor, opts] of Object.entries(FLAVORS)) {
  t.test(`${flavor}: a failed declarative run records Checkout SCM first and Post Actions last, once each`, async (t) => {
    const { app, jenkins, run, planId } = await polledRun(t, opts)
    jenkins.playPipeline(run, FAILING, { synthetic: true })
    await tickLater(app)
    await tickLater(app)
    const stages = await stageList(app, planId)
    t.same(stages.map((s) => [s.StageName, s.Status]), [
      ['Checkout SCM', 'Pass'], ['Build', 'Pass'], ['Test', 'Fail'], ['Deploy', 'Skipped'], ['Post Actions', 'Pass']
    ])
    const idOf = new Map(stages.map((s) => [s.StageName, s.StageID]))
    t.same(stages[1].PreStageID, [idOf.get('Checkout SCM')], 'the first stage comes after the checkout')
    t.same(stages[4].PreStageID, [idOf.get('Deploy')], 'Post Actions after the last stage')
  })
}

for (const flavor of ['graph view', 'stage view + Blue Ocean']) {
  t.test(`${flavor}: after a parallel stage, Post Actions comes after every branch`, async (t) => {
    const { app, jenkins, run, planId } = await polledRun(t, FLAVORS[flavor])
    jenkins.playPipeline(run, [{ name: 'Test', parallel: ['A', 'B'] }], { synthetic: true })
    await tickLater(app)
    const stages = await stageList(app, planId)
    const idOf = new Map(stages.map((s) => [s.StageName, s.StageID]))
    t.same(stages.map((s) => s.StageName), ['Checkout SCM', 'Test', 'A', 'B', 'Post Actions'])
    t.same(stages.find((s) => s.StageName === 'Post Actions')?.PreStageID, [idOf.get('A'), idOf.get('B')])
  })
}

t.test('stage view: a Post Actions of a few ms after a failure ran (wfapi shows it SUCCESS): Pass, not Skipped', async (t) => {
  for (const opts of [FLAVORS['stage view alone'], FLAVORS['stage view + Blue Ocean']]) {
    const { app, jenkins, run, planId } = await polledRun(t, opts)
    jenkins.playPipeline(run, FAILING, { synthetic: { postMillis: 12 } })
    await tickLater(app)
    const postActions = (await stageList(app, planId)).find((s) => s.StageName === 'Post Actions')
    t.equal(postActions?.Status, 'Pass', `blueOcean: ${String(opts.blueOcean ?? true)}`)
  }
})

for (const [flavor, opts] of Object.entries(FLAVORS)) {
  t.test(`${flavor} + OTLP: pushed, then polled: each synthetic stage once, named as the poller alone names it`, async (t) => {
    const p = await pair(t, FAILING, { synthetic: true }, undefined, opts)
    await tickLater(p.polled)
    const expected = await stagesOf(p.polled)
    t.same(expected.map((s) => s[0]), ['Checkout SCM', 'Build', 'Test', 'Deploy', 'Post Actions'], 'the poller alone')

    // the OTLP service: the spans come before its poller looks (Jenkins out of reach), then it looks
    const spans = runSpans(p.run, ours(p))
    p.jenkins.failWith = 503
    for (const batch of batches(spans)) t.equal((await exportSpans(p.otlp, batch, { token: SECRET })).statusCode, 200)
    t.same(await stagesOf(p.otlp), expected, 'the spans alone: the poller\'s names')
    p.jenkins.failWith = null
    await tickLater(p.otlp)
    t.same(await stagesOf(p.otlp), expected, 'then the poller: nothing recorded twice')
    // and the same spans once more, after the poller: nothing new either
    for (const batch of batches(spans)) await exportSpans(p.otlp, batch, { token: SECRET })
    t.same(await stagesOf(p.otlp), expected)
    t.same((await records(p.otlp) as { build: unknown }).build, (await records(p.polled) as { build: unknown }).build)
  })
}

t.test('OTLP: a Post Actions of a few ms after a failure ran: Pass from the spans alone, as the poller says', async (t) => {
  const p = await pair(t, FAILING, { synthetic: { postMillis: 12 } }, undefined, FLAVORS['stage view alone'])
  const spans = runSpans(p.run, ours(p))
  p.jenkins.failWith = 503 // the spans alone: the poller cannot look
  for (const batch of batches(spans)) t.equal((await exportSpans(p.otlp, batch, { token: SECRET })).statusCode, 200)
  const pushed = (await stagesOf(p.otlp)).find((s) => s[0] === 'Post Actions')
  t.equal(pushed?.[1], 'Pass', 'not taken for a stage skipped after the failure')
})

t.test('stage view + OTLP: a failed stage the spans recorded first still gets wfapi\'s error message from the poller', async (t) => {
  const p = await pair(t, FAILING, {}, undefined, FLAVORS['stage view alone'])
  await tickLater(p.polled)
  const errorOf = async (app: FastifyInstance) => (await stageList(app, 1)).find((s) => s.StageName === 'Test')?.Detail?.Error
  const expected = await errorOf(p.polled)
  t.type(expected, 'string', 'the poller alone records Jenkins\' error message')
  p.jenkins.failWith = 503
  for (const batch of batches(runSpans(p.run, ours(p)))) await exportSpans(p.otlp, batch, { token: SECRET })
  t.equal(await errorOf(p.otlp), undefined, 'the spans carry none')
  p.jenkins.failWith = null
  await tickLater(p.otlp)
  t.equal(await errorOf(p.otlp), expected, 'the poller adds it to the ended stage')
})

t.test('only the four synthetic labels lose "Declarative: ": a stage the Jenkinsfile calls so keeps its name', async (t) => {
  // PipelineNodeUtil.getDisplayName strips the prefix only from a stage tagged SYNTHETIC_STAGE, and
  // SyntheticStageGraphListener tags only SyntheticStageNames' labels
  const labels = ['Declarative: Checkout SCM', 'Declarative: Lint', 'Declarative: Post Actions']
  const wfapi = fromWfapi({
    status: 'SUCCESS',
    stages: labels.map((name, i) => ({ id: String(5 + i * 5), name, status: 'SUCCESS', startTimeMillis: 1_800_000_000_000 + i * 1000, durationMillis: 500 }))
  } as unknown as Parameters<typeof fromWfapi>[0])
  t.same(wfapi.map((s) => s.name), ['Checkout SCM', 'Declarative: Lint', 'Post Actions'], 'wfapi')
  const phase: OtlpSpan = { traceId: 'ab'.repeat(16), spanId: '1'.padStart(16, '0'), parentSpanId: '', name: 'Phase: Run', kind: 1, startMs: 0, endMs: 10_000, attributes: {}, statusCode: 1, statusMessage: '' }
  const spans: OtlpSpan[] = labels.map((name, i) => ({
    ...phase,
    spanId: String(i + 2).padStart(16, '0'),
    parentSpanId: phase.spanId,
    name: `Stage: ${name}`,
    startMs: 1000 + i * 1000,
    endMs: 1500 + i * 1000,
    attributes: { 'jenkins.pipeline.step.type': 'stage', 'jenkins.pipeline.step.id': String(5 + i * 5), 'jenkins.pipeline.step.name': name, 'jenkins.pipeline.step.result': 'SUCCESS' }
  }))
  const build = { id: 1, plan_id: 1, build_index: 1, status: 'Running', jenkins_url: null } as unknown as TrackedBuild
  const { updates } = stageUpdates(build, [...spans, phase], spans, [])
  t.same(updates.map((u) => u.stageName), ['Checkout SCM', 'Declarative: Lint', 'Post Actions'], 'spans')
})

/**
 * Each stage as a reader sees it, but its error message: the spans give none (a stage view install's wfapi
 * does), which has nothing to do with synthetic stages.
 */
async function stagesOf (app: FastifyInstance): Promise<unknown[][]> {
  return (await stageList(app, 1)).map((s) =>
    [s.StageName, s.Status, s.PreStageID, s.Detail?.JenkinsNodeID, s.StartTime, s.EndTime])
}

function auth (jenkins: { user: string, apiToken: string }): RequestInit {
  return { headers: { authorization: `Basic ${Buffer.from(`${jenkins.user}:${jenkins.apiToken}`).toString('base64')}` } }
}
