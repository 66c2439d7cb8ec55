// Tests of the Jenkins double itself: each answer has the shape docs/jenkins-contract.md gives
// from the Jenkins and plugin sources, so tests of the service built on it test against Jenkins.
import t, { type Test } from 'tap'
import { FakeJenkins, parseTree, pruneTree, type FakeJenkinsOptions, type FakeParamDef } from '../fixtures/fake-jenkins.js'

type Json = any

async function start (t: Test, opts: FakeJenkinsOptions = {}): Promise<{ jenkins: FakeJenkins, call: (method: string, path: string, body?: string) => Promise<{ status: number, text: string, json: () => Json, type: string | null }> }> {
  const jenkins = new FakeJenkins(opts)
  await jenkins.start()
  t.teardown(async () => { await jenkins.stop() })
  const auth = 'Basic ' + Buffer.from(`${jenkins.user}:${jenkins.apiToken}`).toString('base64')
  const call = async (method: string, path: string, body?: string) => {
    const headers: Record<string, string> = { authorization: auth }
    if (body != null) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(jenkins.baseUrl + path, { method, headers, body, redirect: 'manual' })
    const text = await res.text()
    return { status: res.status, text, json: () => JSON.parse(text) as Json, type: res.headers.get('content-type') }
  }
  return { jenkins, call }
}

/** A started run of job "Test" (parameterized with DevOpsPlanID/BuildIndex). */
function runOf (jenkins: FakeJenkins, params: Record<string, string> = { DevOpsPlanID: '1', BuildIndex: '1' }) {
  if (!jenkins.jobs.has('Test')) jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const item = jenkins.startRun('Test', { cause: 'user', params })
  return jenkins.startQueued(item.id)
}

const BO = '/blue/rest/organizations/jenkins/pipelines/Test/runs'

t.test('flavors: graph view answers stages/tree only; stage view answers wfapi and Blue Ocean only', async (t) => {
  const graph = await start(t, { flavor: 'graph-view' })
  runOf(graph.jenkins)
  const tree = await graph.call('GET', '/job/Test/1/stages/tree')
  t.equal(tree.status, 200)
  t.match(tree.json(), { status: 'ok', data: { stages: [{ name: 'System Generated', placeholder: true }], complete: false } },
    'PipelineJsonWriter envelope; no stage yet: the placeholder')
  t.equal((await graph.call('GET', '/job/Test/1/wfapi/describe')).status, 404)
  const blue = await graph.call('GET', `${BO}/1/nodes/`)
  t.equal(blue.status, 404)
  t.match(blue.type, /text\/html/, 'no Blue Ocean: Jenkins\' own 404 page')

  const stage = await start(t)
  runOf(stage.jenkins)
  t.equal((await stage.call('GET', '/job/Test/1/stages/tree')).status, 404)
  t.equal((await stage.call('GET', '/job/Test/1/wfapi/describe')).status, 200)
  t.equal((await stage.call('GET', `${BO}/1/nodes/`)).status, 200)
  t.equal((await start(t, { blueOcean: false }).then(async (s) => { runOf(s.jenkins); return await s.call('GET', `${BO}/1/nodes/`) })).status, 404)
})

t.test('flavor none answers no stage API; the root api/json is the cheapest authenticated call', async (t) => {
  const none = await start(t, { flavor: 'none' })
  runOf(none.jenkins)
  for (const path of ['/job/Test/1/stages/tree', '/job/Test/1/wfapi/describe', `${BO}/1/nodes/`]) t.equal((await none.call('GET', path)).status, 404, path)
  t.equal((await none.call('GET', '/job/Test/1/api/json')).status, 200)
  t.same((await none.call('GET', '/api/json?tree=mode')).json(), { _class: 'hudson.model.Hudson', mode: 'NORMAL' })
  const res = await fetch(`${none.jenkins.baseUrl}/api/json?tree=mode`, { headers: { authorization: 'Basic ' + Buffer.from('ci:wrong').toString('base64') } })
  t.equal(res.status, 401, 'wrong credentials: 401')
  t.equal((await fetch(`${none.jenkins.baseUrl}/api/json`)).status, 403, 'anonymous: 403')
})

t.test('a result set while the run is building (WorkflowRun.setResult before completed): only api/json shows it', async (t) => {
  for (const flavor of ['stage-view', 'graph-view'] as const) {
    const { jenkins, call } = await start(t, { flavor })
    const run = runOf(jenkins)
    jenkins.setResult(run, 'UNSTABLE')
    jenkins.setResult(run, 'SUCCESS') // never better than a result already set
    t.match((await call('GET', '/job/Test/1/api/json')).json(), { building: true, inProgress: true, result: 'UNSTABLE', duration: 0 }, flavor)
    if (flavor === 'stage-view') t.equal((await call('GET', '/job/Test/1/wfapi/describe')).json().status, 'IN_PROGRESS')
    else t.equal((await call('GET', '/job/Test/1/stages/tree')).json().data.complete, false)
    jenkins.finish(run, 'SUCCESS')
    t.match((await call('GET', '/job/Test/1/api/json')).json(), { building: false, result: 'UNSTABLE' }, 'finish keeps the worse result')
  }
})

t.test('a failed stage then stages skipped for failure, per flavor', async (t) => {
  const spec = ['Checkout', { name: 'Build', result: 'FAILURE' as const }, 'Test', 'Deploy']
  const s = await start(t)
  const run = runOf(s.jenkins)
  s.jenkins.playPipeline(run, spec)
  t.equal(run.result, 'FAILURE')
  const wf = (await s.call('GET', '/job/Test/1/wfapi/describe')).json()
  t.equal(wf.status, 'FAILED')
  t.same(wf.stages.map((x: Json) => [x.name, x.status]), [['Checkout', 'SUCCESS'], ['Build', 'FAILED'], ['Test', 'SUCCESS'], ['Deploy', 'SUCCESS']],
    'wfapi: skipped for failure is SUCCESS (JENKINS-38097)')
  t.match(wf.stages[1], { error: { message: 'script returned exit code 1', type: 'hudson.AbortException' } })
  for (const skipped of wf.stages.slice(2)) {
    t.ok(skipped.durationMillis < 50, `${skipped.name} lasted ${skipped.durationMillis} ms`)
    t.ok(skipped.startTimeMillis > wf.stages[1].startTimeMillis, 'and started after the failed stage')
    t.notOk('error' in skipped)
  }
  const bo = (await s.call('GET', `${BO}/1/nodes/`)).json()
  t.same(bo.map((n: Json) => [n.displayName, n.state, n.result, n.type]), [
    ['Checkout', 'FINISHED', 'SUCCESS', 'STAGE'], ['Build', 'FINISHED', 'FAILURE', 'STAGE'],
    ['Test', 'SKIPPED', 'NOT_BUILT', 'STAGE'], ['Deploy', 'SKIPPED', 'NOT_BUILT', 'STAGE']])
  t.same(bo[0].edges.map((e: Json) => e.id), [bo[1].id], 'linear edges')
  t.equal(bo[1].firstParent, bo[0].id)

  const g = await start(t, { flavor: 'graph-view' })
  const grun = runOf(g.jenkins)
  g.jenkins.playPipeline(grun, spec)
  const tree = (await g.call('GET', '/job/Test/1/stages/tree')).json()
  t.equal(tree.status, 'ok')
  t.equal(tree.data.complete, true)
  t.same(tree.data.stages.map((x: Json) => [x.name, x.state, x.type]), [['Checkout', 'success', 'STAGE'], ['Build', 'failure', 'STAGE'], ['Test', 'skipped', 'STAGE'], ['Deploy', 'skipped', 'STAGE']])
  t.match(tree.data.stages[0], { id: String, title: 'Checkout', startTimeMillis: Number, totalDurationMillis: Number, pauseDurationMillis: 0, children: [], isSequential: false, synthetic: false, placeholder: false, agent: 'built-in', url: `/job/Test/1/stages/?selected-node=${String(tree.data.stages[0].id)}` })
  t.notOk('agent' in tree.data.stages[2], 'a skipped stage has no agent')
})

t.test('when-skipped and restart-skipped stages, per flavor', async (t) => {
  const spec = ['Build', { name: 'Deploy', when: false as const }, { name: 'Lint', restartSkipped: true as const }]
  const s = await start(t)
  const run = runOf(s.jenkins)
  s.jenkins.playPipeline(run, spec)
  t.equal(run.result, 'SUCCESS')
  const wf = (await s.call('GET', '/job/Test/1/wfapi/describe')).json()
  t.same(wf.stages.map((x: Json) => [x.name, x.status]), [['Lint', 'NOT_EXECUTED'], ['Build', 'SUCCESS'], ['Deploy', 'NOT_EXECUTED']], 'a stage that never ran has start 0 and sorts first')
  t.equal(wf.stages[0].startTimeMillis, 0)
  const bo = (await s.call('GET', `${BO}/1/nodes/`)).json()
  t.same(bo.map((n: Json) => [n.displayName, n.state, n.result]), [['Build', 'FINISHED', 'SUCCESS'], ['Deploy', 'SKIPPED', 'NOT_BUILT'], ['Lint', 'NOT_BUILT', 'NOT_BUILT']])
  t.equal(bo[2].startTime, null)

  const g = await start(t, { flavor: 'graph-view' })
  g.jenkins.playPipeline(runOf(g.jenkins), spec)
  const tree = (await g.call('GET', '/job/Test/1/stages/tree')).json()
  t.same(tree.data.stages.map((x: Json) => x.state), ['success', 'skipped', 'not_built'])
})

t.test('a parallel stage with a failing branch, per flavor, running and finished', async (t) => {
  const spec = (integration: 'running' | 'FAILURE') => ['Build', { name: 'Test', parallel: ['Unit', { name: 'Integration', result: integration }, 'UI'] }, 'Deploy']
  const s = await start(t)
  const run = runOf(s.jenkins)
  s.jenkins.playPipeline(run, spec('running'))
  t.equal(run.building, true)
  let wf = (await s.call('GET', '/job/Test/1/wfapi/describe')).json()
  t.same(wf.stages.map((x: Json) => [x.name, x.status]), [['Build', 'SUCCESS'], ['Test', 'SUCCESS'], ['Unit', 'SUCCESS'], ['Integration', 'IN_PROGRESS'], ['UI', 'SUCCESS']],
    'wfapi: the parallel stage is SUCCESS while a branch still runs; Deploy not reached')
  t.equal(wf.stages[1].durationMillis, 90)

  s.jenkins.playPipeline(run, spec('FAILURE'))
  t.equal(run.result, 'FAILURE')
  wf = (await s.call('GET', '/job/Test/1/wfapi/describe')).json()
  t.same(wf.stages.map((x: Json) => [x.name, x.status]), [['Build', 'SUCCESS'], ['Test', 'SUCCESS'], ['Unit', 'SUCCESS'], ['Integration', 'FAILED'], ['UI', 'SUCCESS'], ['Deploy', 'SUCCESS']],
    'wfapi: parallel stage SUCCESS whatever its branches do; branches flat; Deploy skipped for failure')
  const bo = (await s.call('GET', `${BO}/1/nodes/`)).json()
  const byName = Object.fromEntries(bo.map((n: Json) => [n.displayName, n]))
  t.same(bo.map((n: Json) => [n.displayName, n.type, n.state, n.result]), [
    ['Build', 'STAGE', 'FINISHED', 'SUCCESS'], ['Test', 'STAGE', 'FINISHED', 'FAILURE'],
    ['Unit', 'PARALLEL', 'FINISHED', 'SUCCESS'], ['Integration', 'PARALLEL', 'FINISHED', 'FAILURE'], ['UI', 'PARALLEL', 'FINISHED', 'SUCCESS'],
    ['Deploy', 'STAGE', 'SKIPPED', 'NOT_BUILT']])
  t.same(byName.Test.edges.map((e: Json) => [e.id, e.type]), ['Unit', 'Integration', 'UI'].map((n) => [byName[n].id, 'PARALLEL']), 'fan-out')
  for (const b of ['Unit', 'Integration', 'UI']) {
    t.same(byName[b].edges.map((e: Json) => e.id), [byName.Deploy.id], `fan-in from ${b}`)
    t.equal(byName[b].firstParent, byName.Test.id)
  }
  const wfUnit = wf.stages.find((x: Json) => x.name === 'Unit')
  t.not(wfUnit.id, byName.Unit.id, 'wfapi lists the stage inside the branch, Blue Ocean the branch: ids differ')

  const g = await start(t, { flavor: 'graph-view' })
  const grun = runOf(g.jenkins)
  g.jenkins.playPipeline(grun, spec('running'))
  let tree = (await g.call('GET', '/job/Test/1/stages/tree')).json().data
  t.equal(tree.complete, false)
  t.same(tree.stages.map((x: Json) => [x.name, x.state]), [['Build', 'success'], ['Test', 'running']])
  t.notOk('totalDurationMillis' in tree.stages[1], 'omitted while in progress (the writer omits nulls)')
  t.ok('startTimeMillis' in tree.stages[1])
  g.jenkins.playPipeline(grun, spec('FAILURE'))
  tree = (await g.call('GET', '/job/Test/1/stages/tree')).json().data
  t.same(tree.stages.map((x: Json) => [x.name, x.state, x.children.map((c: Json) => [c.name, c.state, c.type])]), [
    ['Build', 'success', []],
    ['Test', 'failure', [['Unit', 'success', 'PARALLEL'], ['Integration', 'failure', 'PARALLEL'], ['UI', 'success', 'PARALLEL']]],
    ['Deploy', 'skipped', []]])
})

t.test('matrix cells and retry: stages with the same name, distinct node ids', async (t) => {
  const spec = [
    { name: 'Matrix', parallel: [{ name: 'linux', stages: ['Build', 'Test'] }, { name: 'windows', stages: ['Build', { name: 'Test', result: 'UNSTABLE' as const }] }] },
    { name: 'Deploy', result: 'FAILURE' as const, caught: true as const },
    'Deploy'
  ]
  const s = await start(t)
  const run = runOf(s.jenkins)
  const played = s.jenkins.playPipeline(run, spec)
  t.equal(played.length, 9)
  t.equal(run.result, 'UNSTABLE', 'a caught failure does not fail the run; the unstable cell does')
  const wf = (await s.call('GET', '/job/Test/1/wfapi/describe')).json()
  const names = wf.stages.map((x: Json) => x.name)
  t.same(names.filter((n: string) => n === 'Build').length, 2)
  t.same(names.filter((n: string) => n === 'Deploy').length, 2)
  t.equal(new Set(wf.stages.map((x: Json) => x.id)).size, wf.stages.length, 'every wfapi stage has its own id')
  t.same(wf.stages.filter((x: Json) => x.name === 'Deploy').map((x: Json) => x.status), ['FAILED', 'SUCCESS'], 'the retried stage runs again after the caught failure')
  const bo = (await s.call('GET', `${BO}/1/nodes/`)).json()
  const id = (name: string, i = 0) => bo.filter((n: Json) => n.displayName === name)[i].id
  t.same(bo.find((n: Json) => n.displayName === 'linux').edges.map((e: Json) => e.id), [id('Build', 0)], 'a cell leads to its first stage')
  t.same(bo.filter((n: Json) => n.displayName === 'Test').flatMap((n: Json) => n.edges.map((e: Json) => e.id)), [id('Deploy', 0), id('Deploy', 0)], 'the last stage of each cell fans in')

  const g = await start(t, { flavor: 'graph-view' })
  g.jenkins.playPipeline(runOf(g.jenkins), spec)
  const tree = (await g.call('GET', '/job/Test/1/stages/tree')).json().data
  const shape = (x: Json): unknown => x.children.length === 0 ? x.name : [x.name, x.children.map(shape)]
  t.same(tree.stages.map(shape), [['Matrix', [['linux', ['Build', 'Test']], ['windows', ['Build', 'Test']]]], 'Deploy', 'Deploy'])
  t.same(tree.stages.map((x: Json) => x.state), ['unstable', 'failure', 'success'])
})

t.test('a second play goes on from the first, keeping node ids', async (t) => {
  const { jenkins, call } = await start(t)
  const run = runOf(jenkins)
  const first = jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }])
  const wf1 = (await call('GET', '/job/Test/1/wfapi/describe')).json()
  t.same(wf1.stages.map((x: Json) => x.status), ['SUCCESS', 'IN_PROGRESS'])
  const second = jenkins.playPipeline(run, ['Build', 'Test', 'Deploy'])
  t.same(second.slice(0, 2).map((x) => x.id), first.map((x) => x.id))
  t.equal(run.result, 'SUCCESS')
  t.same((await call('GET', '/job/Test/1/wfapi/describe')).json().stages.map((x: Json) => x.status), ['SUCCESS', 'SUCCESS', 'SUCCESS'])
})

t.test('lost runs: deleted, job deleted or renamed → every URL of the run is an HTML 404, the job still answers', async (t) => {
  for (const flavor of ['stage-view', 'graph-view'] as const) {
    const { jenkins, call } = await start(t, { flavor })
    const run = runOf(jenkins)
    runOf(jenkins)
    t.throws(() => jenkins.deleteRun('Test', 1), /still running/, 'Run.delete refuses a running run')
    jenkins.finish(run, 'SUCCESS')
    jenkins.deleteRun('Test', 1)
    for (const path of ['/job/Test/1/api/json', '/job/Test/1/wfapi/describe', '/job/Test/1/stages/tree']) {
      const res = await call('GET', path)
      t.equal(res.status, 404, `${flavor} ${path}`)
      t.match(res.type, /text\/html/)
    }
    t.equal((await call('POST', '/job/Test/1/stop')).status, 404)
    const job = await call('GET', '/job/Test/api/json?tree=builds[number],nextBuildNumber')
    t.equal(job.status, 200)
    t.same(job.json(), { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', builds: [{ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 2 }], nextBuildNumber: 3 })
  }
  const { jenkins, call } = await start(t)
  const run = runOf(jenkins)
  t.throws(() => jenkins.renameJob('Test', 'Renamed'), /while it is building/)
  jenkins.finish(run, 'SUCCESS')
  jenkins.renameJob('Test', 'Renamed')
  t.equal((await call('GET', '/job/Test/1/api/json')).status, 404)
  t.equal((await call('GET', '/job/Test/api/json')).status, 404)
  t.equal((await call('GET', '/job/Renamed/1/api/json')).json().url, `${jenkins.baseUrl}/job/Renamed/1/`)
  const running = jenkins.startQueued(jenkins.startRun('Renamed', { cause: 'timer' }).id)
  const waiting = jenkins.startRun('Renamed', { cause: 'timer', params: { BuildIndex: '9' } })
  jenkins.deleteJob('Renamed')
  t.equal(running.result, 'ABORTED', 'deleting a job aborts its builds')
  t.equal(waiting.state, 'cancelled', 'and cancels its queue items')
  t.equal((await call('GET', '/job/Renamed/api/json')).status, 404)
  t.equal((await call('GET', `/job/Renamed/${running.number}/api/json`)).status, 404)
})

t.test('queue: cancelItem answers as Queue.doCancelItem; blocked and stuck items say why; the task names its job', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.addJob({ name: 'f/Test', parameters: { BuildIndex: '' } })
  const waiting = jenkins.startRun('f/Test', { cause: 'user', params: { BuildIndex: '1' } })
  t.equal((await call('POST', `/queue/cancelItem?id=${waiting.id}`)).status, 204)
  const again = await call('POST', `/queue/cancelItem?id=${waiting.id}`)
  t.equal(again.status, 500, 'an item already cancelled is a LeftItem: leave() is false')
  t.equal(again.text, `Could not cancel run for id ${waiting.id}`)
  const started = jenkins.startRun('f/Test', { cause: 'user', params: { BuildIndex: '2' } })
  jenkins.startQueued(started.id, { withRace: true })
  t.equal((await call('POST', `/queue/cancelItem?id=${started.id}`)).status, 500, 'the start window: left the queue, no number yet')
  jenkins.settle(started.id)
  t.equal((await call('POST', `/queue/cancelItem?id=${started.id}`)).status, 500)
  const unknown = await call('POST', '/queue/cancelItem?id=99999')
  t.equal(unknown.status, 404)
  t.equal(unknown.text, 'Provided id (99999) not found')
  started.leftAt = Date.now() - 5 * 60_000 // the leftItems cache expires 5 minutes after the item left (expireAfterWrite)
  t.equal((await call('POST', `/queue/cancelItem?id=${started.id}`)).status, 404)

  const blocked = jenkins.startRun('f/Test', { cause: 'user', params: { BuildIndex: '3' } })
  jenkins.blockQueued(blocked.id)
  t.match((await call('GET', `/queue/item/${blocked.id}/api/json`)).json(), {
    _class: 'hudson.model.Queue$BlockedItem',
    blocked: true,
    buildable: false,
    stuck: false,
    why: 'Build #1 is already in progress (ETA: 1 min 2 sec)',
    task: { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'Test', url: `${jenkins.baseUrl}/job/f/job/Test/` }
  })
  jenkins.makeBuildable(blocked.id, { why: 'Waiting for next available executor on ‘gpu-linux’', stuck: true })
  t.match((await call('GET', `/queue/item/${blocked.id}/api/json`)).json(), {
    _class: 'hudson.model.Queue$BuildableItem', blocked: false, buildable: true, stuck: true, why: 'Waiting for next available executor on ‘gpu-linux’', pending: false
  })
  t.same((await call('GET', `/queue/item/${blocked.id}/api/json?tree=why,stuck,task[url]`)).json(),
    { _class: 'hudson.model.Queue$BuildableItem', stuck: true, task: { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', url: `${jenkins.baseUrl}/job/f/job/Test/` }, why: 'Waiting for next available executor on ‘gpu-linux’' })
  t.equal((await call('POST', `/queue/cancelItem?id=${blocked.id}`)).status, 204, 'blocked and buildable items are still in the queue')
})

const DEFS: FakeParamDef[] = [
  { name: 'Branch', type: 'string', default: ' main ', trim: true, description: 'git branch' },
  { name: 'Notes', type: 'text', default: 'line 1\nline 2' },
  { name: 'DryRun', type: 'boolean', default: true },
  { name: 'Env', type: 'choice', choices: ['dev', 'staging', 'prod'] },
  { name: 'Secret', type: 'password', default: 's3cr3t' },
  { name: 'Upload', type: 'file' },
  { name: 'DevOpsPlanID', type: 'string' },
  { name: 'BuildIndex', type: 'string' }
]

t.test('parameter definitions as job api/json shows them; a job with none', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.addJob({ name: 'Typed', parameters: null, parameterDefinitions: DEFS })
  jenkins.addJob({ name: 'Plain', parameters: null })
  const job = (await call('GET', '/job/Typed/api/json')).json()
  t.equal(job.property.length, 1)
  t.equal(job.property[0]._class, 'hudson.model.ParametersDefinitionProperty')
  t.same(job.property[0].parameterDefinitions.slice(0, 6), [
    { _class: 'hudson.model.StringParameterDefinition', defaultParameterValue: { _class: 'hudson.model.StringParameterValue', name: 'Branch', value: 'main' }, description: 'git branch', name: 'Branch', type: 'StringParameterDefinition' },
    { _class: 'hudson.model.TextParameterDefinition', defaultParameterValue: { _class: 'hudson.model.TextParameterValue', name: 'Notes', value: 'line 1\nline 2' }, description: null, name: 'Notes', type: 'TextParameterDefinition' },
    { _class: 'hudson.model.BooleanParameterDefinition', defaultParameterValue: { _class: 'hudson.model.BooleanParameterValue', name: 'DryRun', value: true }, description: null, name: 'DryRun', type: 'BooleanParameterDefinition' },
    { _class: 'hudson.model.ChoiceParameterDefinition', defaultParameterValue: { _class: 'hudson.model.StringParameterValue', name: 'Env', value: 'dev' }, description: null, name: 'Env', type: 'ChoiceParameterDefinition', choices: ['dev', 'staging', 'prod'] },
    { _class: 'hudson.model.PasswordParameterDefinition', defaultParameterValue: { _class: 'hudson.model.PasswordParameterValue', name: 'Secret' }, description: null, name: 'Secret', type: 'PasswordParameterDefinition' },
    { _class: 'hudson.model.FileParameterDefinition', defaultParameterValue: null, description: null, name: 'Upload', type: 'FileParameterDefinition' }
  ])
  t.same((await call('GET', '/job/Plain/api/json')).json().property, [], 'no ParametersDefinitionProperty')
  t.same((await call('GET', '/job/Typed/api/json?tree=property[parameterDefinitions[name,choices]]')).json().property[0].parameterDefinitions[3],
    { _class: 'hudson.model.ChoiceParameterDefinition', name: 'Env', choices: ['dev', 'staging', 'prod'] })

  const plain = await call('POST', '/job/Plain/buildWithParameters', 'X=1')
  t.equal(plain.status, 400)
  t.equal(plain.text, 'Plain is not parameterized')
  const built = await call('POST', '/job/Plain/build', '')
  t.equal(built.status, 201)
  const item = jenkins.lastQueueItem()
  t.same(item?.params, {})
  const itemJson = (await call('GET', `/queue/item/${String(item?.id)}/api/json`)).json()
  t.notOk(itemJson.actions.some((a: Json) => a._class === 'hudson.model.ParametersAction'), 'no ParametersAction without parameters')
})

t.test('buildWithParameters coerces like the definitions do; an invalid choice is a 500', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.addJob({ name: 'Typed', parameters: null, parameterDefinitions: DEFS })
  const ok = await call('POST', '/job/Typed/buildWithParameters', 'DryRun=TRUE&Env=prod&Branch=%20dev%20&Undeclared=x&BuildIndex=4')
  t.equal(ok.status, 201)
  const item = jenkins.lastQueueItem()
  t.same(item?.params, { Branch: 'dev', Notes: 'line 1\nline 2', DryRun: 'true', Env: 'prod', Secret: 's3cr3t', DevOpsPlanID: '', BuildIndex: '4' },
    'Boolean.parseBoolean, trim, defaults; the undeclared name and the file parameter are absent')
  const values = (await call('GET', `/queue/item/${String(item?.id)}/api/json`)).json().actions[0].parameters
  t.same(values.find((v: Json) => v.name === 'DryRun'), { _class: 'hudson.model.BooleanParameterValue', name: 'DryRun', value: true })
  t.same(values.find((v: Json) => v.name === 'Secret'), { _class: 'hudson.model.PasswordParameterValue', name: 'Secret' }, 'a password value is not exported')
  t.equal((await call('POST', '/job/Typed/buildWithParameters', 'DryRun=yes')).status, 201)
  t.equal(jenkins.lastQueueItem()?.params.DryRun, 'false', 'anything but "true" is false')
  const before = jenkins.queue.size
  const bad = await call('POST', '/job/Typed/buildWithParameters', 'Env=qa')
  t.equal(bad.status, 500)
  t.match(bad.text, /Illegal choice for parameter Env: qa/)
  t.equal((await call('POST', '/job/Typed/buildWithParameters?Env=dev', 'Env=prod')).status, 500, 'two values for one name')
  t.equal(jenkins.queue.size, before, 'nothing queued')
})

t.test('runs Jenkins starts itself: causes, replays copying the ParametersAction', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.addJob({ name: 'Typed', parameters: null, parameterDefinitions: DEFS.filter((d) => d.type !== 'password') })
  jenkins.addJob({ name: 'Secretive', parameters: null, parameterDefinitions: DEFS })
  const causes = async (number: number) => (await call('GET', `/job/Typed/${number}/api/json?tree=actions[causes[shortDescription,upstreamProject,upstreamBuild,userId]]`)).json()
    .actions.find((a: Json) => a._class === 'hudson.model.CauseAction').causes
  const startRun = (opts: Parameters<FakeJenkins['startRun']>[1]) => jenkins.startQueued(jenkins.startRun('Typed', opts).id)

  const timer = startRun({ cause: 'timer' })
  t.same(await causes(timer.number), [{ _class: 'hudson.triggers.TimerTrigger$TimerTriggerCause', shortDescription: 'Started by timer' }])
  t.equal(timer.params.Env, 'dev', 'a timer run takes the defaults')
  t.same(await causes(startRun({ cause: 'scm' }).number), [{ _class: 'hudson.triggers.SCMTrigger$SCMTriggerCause', shortDescription: 'Started by an SCM change' }])
  t.same(await causes(startRun({ cause: 'upstream', upstream: { project: 'lib', number: 12 } }).number),
    [{ _class: 'hudson.model.Cause$UpstreamCause', shortDescription: 'Started by upstream project "lib" build number 12', upstreamBuild: 12, upstreamProject: 'lib' }])
  const ours = startRun({ cause: 'user', userId: 'alice', params: { DevOpsPlanID: '3', BuildIndex: '7' } })
  t.same(await causes(ours.number), [{ _class: 'hudson.model.Cause$UserIdCause', shortDescription: 'Started by user alice', userId: 'alice' }])
  jenkins.finish(ours, 'SUCCESS')

  const item = jenkins.startRun('Typed', { cause: 'replay', replayOf: ours.number })
  t.equal(item.state, 'waiting', 'a replay goes through the queue')
  const replay = jenkins.startQueued(item.id)
  t.same(replay.params, ours.params, 'ParametersAction copied, DevOpsPlanID/BuildIndex included')
  t.same((await causes(replay.number)).map((c: Json) => c.shortDescription), [`Started by user ${jenkins.user}`, `Replayed #${ours.number}`])
  const run = (await call('GET', `/job/Typed/${replay.number}/api/json`)).json()
  t.same(run.actions.find((a: Json) => a._class === 'hudson.model.ParametersAction').parameters.filter((p: Json) => p.name === 'DevOpsPlanID' || p.name === 'BuildIndex').map((p: Json) => p.value), ['3', '7'])
  t.equal(run.queueId, item.id)

  const secret = jenkins.startQueued(jenkins.startRun('Secretive', { cause: 'user' }).id)
  jenkins.finish(secret, 'SUCCESS')
  t.throws(() => jenkins.startRun('Secretive', { cause: 'replay', replayOf: secret.number }), /password parameters/)
})

t.test('tree= prunes every api/json answer like Stapler; without it runs nest at depth 0', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  for (let i = 0; i < 4; i++) jenkins.finish(jenkins.startQueued(jenkins.startRun('Test', { cause: 'timer' }).id), 'SUCCESS')
  const plain = (await call('GET', '/job/Test/api/json')).json()
  t.same(plain.builds[0], { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 4, url: `${jenkins.baseUrl}/job/Test/4/` })
  const tree = 'builds[number,queueId,url,timestamp,actions[causes[shortDescription]]]{0,2},nextBuildNumber,lastBuild[number],property[parameterDefinitions[name]]'
  const job = (await call('GET', `/job/Test/api/json?tree=${encodeURIComponent(tree)}`)).json()
  t.same(Object.keys(job), ['_class', 'builds', 'lastBuild', 'nextBuildNumber', 'property'])
  t.same(job.builds.map((b: Json) => b.number), [4, 3], 'newest first, {0,2}')
  t.same(Object.keys(job.builds[0]), ['_class', 'number', 'url', 'queueId', 'timestamp', 'actions'])
  t.same(job.builds[0].actions[0], { _class: 'hudson.model.CauseAction', causes: [{ _class: 'hudson.triggers.TimerTrigger$TimerTriggerCause', shortDescription: 'Started by timer' }] })
  t.same(job.builds[0].actions[2], {}, 'an unexported action stays {}')
  t.same(job.lastBuild, { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 4 })
  t.equal(job.nextBuildNumber, 5)
  t.same(job.property[0].parameterDefinitions.map((d: Json) => d.name), ['DevOpsPlanID', 'BuildIndex'])
  t.same((await call('GET', '/job/Test/api/json?tree=lastBuild')).json().lastBuild, { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun' }, 'a name without [] keeps only _class')
  t.same((await call('GET', '/job/Test/4/api/json?tree=number,result,building')).json(), { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', building: false, number: 4, result: 'SUCCESS' })
  t.same((await call('GET', '/job/Test/lastBuild/api/json?tree=number')).json().number, 4)
  const malformed = await call('GET', '/job/Test/api/json?tree=builds[number')
  t.equal(malformed.status, 500)
  t.match(malformed.text, /Malformed tree expression/)

  t.same(pruneTree({ a: [1, 2, 3, 4] }, parseTree('a{1}')), { a: [2] }, '{N} is one element')
  t.same(pruneTree({ a: [1, 2, 3, 4] }, parseTree('a{2,}')), { a: [3, 4] })
  t.same(pruneTree({ a: [1, 2, 3, 4] }, parseTree('a{,2}')), { a: [1, 2] })
  t.same(pruneTree({ a: { b: 1, c: 2 }, d: 3 }, parseTree('*[b]')), { a: { b: 1 }, d: 3 }, '* matches any name')
  t.throws(() => parseTree('a{x}'), /expected number/)
  t.throws(() => parseTree('a]'), /expected EOF/)
})

t.test('request counters', async (t) => {
  const { jenkins, call } = await start(t)
  runOf(jenkins)
  await call('GET', '/job/Test/1/wfapi/describe')
  const mark = jenkins.requests.length
  await call('GET', '/job/Test/1/wfapi/describe')
  await call('GET', '/job/Test/1/api/json')
  t.equal(jenkins.countRequests('/job/Test/1/wfapi/describe'), 2)
  t.equal(jenkins.countRequests('/job/Test/1/wfapi/describe', mark), 1)
  t.equal(jenkins.countRequests(/\/wfapi\//), 2)
  t.equal(jenkins.countRequests((r) => r.method === 'GET', mark), 2)
  t.equal(jenkins.countRequests(), 3)
  t.same(jenkins.requestCounts(), { 'GET /job/Test/N/wfapi/describe': 2, 'GET /job/Test/N/api/json': 1 })
})

// ---- round 3: installs and habits as people really have them ----

t.test('graph view releases: each serves the tree at its own URL, older ones with totalDurationMillis while running', async (t) => {
  const urls = ['stages', 'pipeline-overview', 'pipeline-console', 'pipeline-graph'] as const
  for (const release of urls) {
    const { jenkins, call } = await start(t, { flavor: 'graph-view', graphViewUrl: release })
    const run = runOf(jenkins)
    jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    const served = []
    for (const u of urls) if ((await call('GET', `/job/Test/1/${u}/tree`)).status === 200) served.push(u)
    t.same(served, release === 'pipeline-graph' ? ['pipeline-console', 'pipeline-graph'] : [release], `${release}: its URLs only`)
    const tree = (await call('GET', `/job/Test/1/${release}/tree`)).json()
    t.match(tree, { status: 'ok', data: { complete: false, stages: [{ name: 'Build', state: 'success' }, { name: 'Test', state: 'running' }] } })
    t.equal(typeof tree.data.stages[1].totalDurationMillis, release === 'stages' ? 'undefined' : 'number')
  }
})

t.test('placeholder: a run with no stage yet shows "System Generated"; an early failure shows it failed', async (t) => {
  const { jenkins, call } = await start(t, { flavor: 'graph-view' })
  const run = runOf(jenkins)
  t.match((await call('GET', '/job/Test/1/stages/tree')).json().data.stages, [
    { id: '2', name: 'System Generated', state: 'running', type: 'PIPELINE_START', synthetic: true, placeholder: true }
  ])
  jenkins.finish(run, 'FAILURE')
  t.match((await call('GET', '/job/Test/1/stages/tree')).json().data, { complete: true, stages: [{ name: 'System Generated', state: 'failure' }] })
})

t.test('releases before 529: no placeholder while no stage exists; an early failure shows "Unhandled Exception"', async (t) => {
  for (const opts of [{ graphViewUrl: 'pipeline-console' }, { graphViewUrl: 'pipeline-overview', graphViewRelease: 528 }] as const) {
    const { jenkins, call } = await start(t, { flavor: 'graph-view', ...opts })
    const run = runOf(jenkins)
    const url = `/job/Test/1/${opts.graphViewUrl}/tree`
    t.same((await call('GET', url)).json().data.stages, [], 'running with no stage: the start node is superfluous')
    jenkins.finish(run, 'FAILURE')
    const [startNode] = (await call('GET', url)).json().data.stages
    t.match(startNode, { id: '2', name: 'Unhandled Exception', state: 'failure', type: 'PIPELINE_START', synthetic: false })
    t.notOk('placeholder' in startNode, 'PipelineStage had no placeholder field before 529')
  }
  const { jenkins, call } = await start(t, { flavor: 'graph-view', graphViewUrl: 'pipeline-overview' })
  jenkins.finish(runOf(jenkins), 'FAILURE')
  t.match((await call('GET', '/job/Test/1/pipeline-overview/tree')).json().data.stages, [{ name: 'System Generated', placeholder: true }], '529–776')
})

t.test('NOT_BUILT: a superseded run and its running stage end NOT_BUILT in every API', async (t) => {
  for (const flavor of ['graph-view', 'stage-view'] as const) {
    const { jenkins, call } = await start(t, { flavor })
    const run = runOf(jenkins)
    jenkins.playPipeline(run, ['Build', { name: 'Test', result: 'running' }], { finish: false })
    jenkins.supersede(run)
    t.match((await call('GET', '/job/Test/1/api/json')).json(), { building: false, result: 'NOT_BUILT' })
    if (flavor === 'graph-view') {
      t.match((await call('GET', '/job/Test/1/stages/tree')).json().data.stages, [{ name: 'Build', state: 'success' }, { name: 'Test', state: 'not_built' }])
    } else {
      t.match((await call('GET', `${BO}/1/nodes/`)).json(), [{ displayName: 'Build', result: 'SUCCESS' }, { displayName: 'Test', state: 'FINISHED', result: 'NOT_BUILT' }])
      t.match((await call('GET', '/job/Test/1/wfapi/describe')).json().stages[1], { name: 'Test', status: 'NOT_EXECUTED' })
    }
  }
})

t.test('a run whose stage API fails: 500 or 403 there, its api/json still answers', async (t) => {
  const { jenkins, call } = await start(t, { flavor: 'graph-view' })
  const run = runOf(jenkins)
  jenkins.failStageApi(run, 500)
  t.equal((await call('GET', '/job/Test/1/stages/tree')).status, 500)
  t.equal((await call('GET', '/job/Test/1/api/json')).status, 200)
  jenkins.failStageApi(run, 403)
  t.equal((await call('GET', '/job/Test/1/stages/tree')).status, 403)
  jenkins.failStageApi(run, null)
  t.equal((await call('GET', '/job/Test/1/stages/tree')).status, 200)
})

t.test('queue countdowns: a blocked item\'s ETA and a waiting item\'s quiet period change on every read', async (t) => {
  const { jenkins, call } = await start(t)
  const running = runOf(jenkins)
  t.ok(running.building)
  const waiting = jenkins.startRun('Test', { cause: 'user', params: { BuildIndex: '2' } })
  const whys = async (id: number): Promise<string[]> => {
    const out: string[] = []
    for (let i = 0; i < 3; i++) out.push((await call('GET', `/queue/item/${id}/api/json?tree=why`)).json().why)
    return out
  }
  t.same(await whys(waiting.id), ['In the quiet period. Expires in 4.9 sec', 'In the quiet period. Expires in 2.4 sec', 'In the quiet period. Expires in 0.1 sec'])
  const blocked = jenkins.startRun('Test', { cause: 'user', params: { BuildIndex: '3' } })
  jenkins.blockQueued(blocked.id)
  t.same(await whys(blocked.id), ['Build #1 is already in progress (ETA: 1 min 2 sec)', 'Build #1 is already in progress (ETA: 59 sec)', 'Build #1 is already in progress (ETA: 57 sec)'])
})

t.test('a login proxy in front: every request 302 to its login page; a starting Jenkins: 503', async (t) => {
  const { jenkins, call } = await start(t)
  jenkins.redirectAllTo = 'https://sso.example.com/login'
  const r = await call('GET', '/api/json')
  t.equal(r.status, 302)
  jenkins.redirectAllTo = null
  jenkins.startingRequests = 2
  t.equal((await call('GET', '/api/json')).status, 503)
  t.match((await call('GET', '/api/json')).text, /getting ready to work/)
  t.equal((await call('GET', '/api/json')).status, 200)
})

t.test('multibranch: the branch item is NameEncoder-encoded, its URL segment encoded again; building the project indexes it', async (t) => {
  const { jenkins, call } = await start(t)
  const [branch] = jenkins.addMultibranch('repo', ['feature/x'], { DevOpsPlanID: '', BuildIndex: '' })
  t.equal(branch.name, 'repo/feature%2Fx')
  t.equal((await call('GET', '/job/repo/job/feature%252Fx/api/json?tree=name')).json().name, 'feature%2Fx')
  t.equal((await call('GET', '/job/repo/job/feature%2Fx/api/json?tree=name')).status, 200, 'the decoded name as one segment works too')
  t.equal((await call('GET', '/job/repo/job/feature/job/x/api/json')).status, 404, 'as folders it is not found')
  t.match((await call('GET', '/job/repo/api/json?tree=_class')).json(), { _class: 'org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject' })
  const build = await call('POST', '/job/repo/build')
  t.equal(build.status, 302, 'ComputedFolder.doBuild: branch indexing, no queue item')
  t.equal(jenkins.queue.size, 0)
})

t.test('Blue Ocean pages nodes at 100 with a Link header; ?limit= reads more', async (t) => {
  const { jenkins, call } = await start(t)
  const run = runOf(jenkins)
  jenkins.playPipeline(run, [{ name: 'Matrix', parallel: Array.from({ length: 120 }, (_, i) => `cell ${i}`) }])
  const res = await fetch(`${jenkins.baseUrl}${BO}/1/nodes/`, { headers: { authorization: 'Basic ' + Buffer.from(`${jenkins.user}:${jenkins.apiToken}`).toString('base64') } })
  t.equal((await res.json() as unknown[]).length, 100)
  t.match(res.headers.get('link'), /\?start=100&limit=100>; rel="next"/, 'every page names the next (the last one too: PagedResponse.Processor)')
  t.equal((await call('GET', `${BO}/1/nodes/?limit=1000`)).json().length, 121)
})

t.test('reruns, restarts, reset queue ids, a recreated job', async (t) => {
  const { jenkins } = await start(t)
  const first = runOf(jenkins, { DevOpsPlanID: '1', BuildIndex: '7' })
  const rerun = jenkins.startQueued(jenkins.startRun('Test', { cause: 'rerun', replayOf: first.number }).id)
  t.same(rerun.params, first.params, 'the Rerun button copies the ParametersAction')
  t.match(jenkins.jenkinsfileUpdate(rerun, 'Deploy', 'success'), { DevOpsPlanID: 1, BuildIndex: 7, Detail: { JenkinsBuildNumber: '2' } })
  const restart = jenkins.startQueued(jenkins.startRun('Test', { cause: 'restart', replayOf: first.number, stage: 'Deploy' }).id)
  t.same(restart.params, first.params)
  t.match(restart.causes?.[1], { shortDescription: 'Restarted from build #1, stage Deploy' })
  jenkins.resetQueueIds(1)
  t.equal(jenkins.startRun('Test', { cause: 'timer' }).id, 1)
  jenkins.recreateJob('Test')
  t.equal(runOf(jenkins).number, 1, 'numbers restart')
})

t.test('strict crumb issuer: its own class, the crumb bound to the session all the same', async (t) => {
  const { jenkins } = await start(t, { password: 'pw', crumbIssuer: 'strict' })
  const auth = 'Basic ' + Buffer.from(`${jenkins.user}:pw`).toString('base64')
  const res = await fetch(`${jenkins.baseUrl}/crumbIssuer/api/json`, { headers: { authorization: auth } })
  const crumb = await res.json() as { _class: string, crumb: string }
  t.equal(crumb._class, 'org.jenkinsci.plugins.strictcrumbissuer.StrictCrumbIssuer')
  jenkins.addJob({ name: 'Test', parameters: { A: '' } })
  const headers = { authorization: auth, 'Jenkins-Crumb': crumb.crumb }
  t.equal((await fetch(`${jenkins.baseUrl}/job/Test/buildWithParameters`, { method: 'POST', headers, redirect: 'manual' })).status, 403, 'no session cookie: refused')
  const cookie = res.headers.getSetCookie()[0].split(';')[0]
  t.equal((await fetch(`${jenkins.baseUrl}/job/Test/buildWithParameters`, { method: 'POST', headers: { ...headers, cookie }, redirect: 'manual' })).status, 201)
})
