import t, { type Test } from 'tap'
import { build, buildInfo, fakeJenkins, get, post, seedPlan } from '../helper.js'
import type { FakeJenkins, FakeParamDef } from '../fixtures/fake-jenkins.js'

const DEFS: FakeParamDef[] = [
  { name: 'Branch', type: 'string', default: 'main', description: 'git branch' },
  { name: 'Notes', type: 'text' },
  { name: 'DryRun', type: 'boolean', default: true },
  { name: 'Env', type: 'choice', choices: ['dev', 'staging', 'prod'] },
  { name: 'Secret', type: 'password', default: 'hunter2' },
  { name: 'Bundle', type: 'file' },
  { name: 'DevOpsPlanID', type: 'string' },
  { name: 'BuildIndex', type: 'string' }
]
const posts = (jenkins: FakeJenkins): number => jenkins.countRequests((r) => r.method === 'POST')
const defsRead = (jenkins: FakeJenkins, job = 'Typed'): number => jenkins.countRequests((r) => r.path === `/job/${job}/api/json` && (r.query.get('tree') ?? '').includes('parameterDefinitions'))

async function setup (t: Test, job = 'Typed') {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Typed', parameters: null, parameterDefinitions: DEFS })
  jenkins.addJob({ name: 'Bare', parameters: null })
  jenkins.addJob({ name: 'Unmatched', parameters: null, parameterDefinitions: [{ name: 'Branch', type: 'string', default: 'main' }] })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, job)
  return { app, jenkins, planId }
}

t.test('Plan/parameters lists the typed definitions for forms, without ours and without password defaults', async (t) => {
  const { app, planId } = await setup(t)
  const res = await get(app, '/Plan/parameters', { DevOpsPlanID: planId })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    ErrorCode: 1000,
    Description: 'OK',
    JobName: 'Typed',
    ParameterList: [
      { Name: 'Branch', Type: 'string', Default: 'main', Choices: [], Description: 'git branch' },
      { Name: 'Notes', Type: 'text', Default: '', Choices: [], Description: '' },
      { Name: 'DryRun', Type: 'boolean', Default: 'true', Choices: [], Description: '' },
      { Name: 'Env', Type: 'choice', Default: 'dev', Choices: ['dev', 'staging', 'prod'], Description: '' },
      { Name: 'Secret', Type: 'password', Default: '', Choices: [], Description: '' },
      { Name: 'Bundle', Type: 'other', Default: '', Choices: [], Description: '' }
    ]
  })
  t.notOk(res.body.includes('hunter2'), 'a password default never leaves the service')
})

t.test('Plan/parameters: unknown plan 1002, no JobName 1001, no Jenkins 1006, unreachable 1007, unknown job 1007', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  t.equal((await get(app, '/Plan/parameters', { DevOpsPlanID: 999 })).json().ErrorCode, 1002)
  const p = (await post(app, '/Product/add', { ProductName: 'Other' })).json()
  const bare = (await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: 'NoJob' })).json()
  const noJob = await get(app, '/Plan/parameters', { DevOpsPlanID: bare.DevOpsPlanID })
  t.equal(noJob.statusCode, 400)
  t.match(noJob.json(), { ErrorCode: 1001, Description: /no JobName/ })
  const missing = (await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: 'Missing', JobName: 'Nope' })).json()
  t.match((await get(app, '/Plan/parameters', { DevOpsPlanID: missing.DevOpsPlanID })).json(), { ErrorCode: 1007, Description: /not found/ })
  t.same((await get(app, '/Plan/parameters', { DevOpsPlanID: bare.DevOpsPlanID + 2 })).json().ErrorCode, 1002)

  const unconfigured = await build(t)
  const { planId: other } = await seedPlan(unconfigured, 'Typed')
  const r = await get(unconfigured, '/Plan/parameters', { DevOpsPlanID: other })
  t.equal(r.statusCode, 503)
  t.equal(r.json().ErrorCode, 1006)

  const down = await build(t, { env: { JENKINS_URL: 'http://127.0.0.1:9', JENKINS_TIMEOUT_MS: '1000' } })
  const { planId: downPlan } = await seedPlan(down, 'Typed')
  const d = await get(down, '/Plan/parameters', { DevOpsPlanID: downPlan })
  t.equal(d.statusCode, 502)
  t.match(d.json(), { ErrorCode: 1007, Description: /unreachable/ })
  t.ok(jenkins.requests.length > 0 && planId > 0)
})

t.test('Build/add refuses undeclared names and choices outside the list: 1001, nothing recorded or triggered', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const undeclared = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Brnch', value: 'x' }] } })
  t.equal(undeclared.statusCode, 400)
  t.match(undeclared.json(), { ErrorCode: 1001, Description: /"Brnch".*declares: Branch, Notes, DryRun, Env, Secret, Bundle$/ })
  const badChoice = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Env', value: 'qa' }] } })
  t.match(badChoice.json(), { ErrorCode: 1001, Description: /"Env" must be one of: dev, staging, prod/ })
  t.equal(posts(jenkins), 0, 'nothing triggered')
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 0, 'nothing recorded')
  // a valid call after the refusals gets BuildIndex 1: no index was spent
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Env', value: 'prod' }] } })).json().BuildIndex, 1)
})

t.test('missing parameters take defaults; Build/info.Parameter holds the effective values; Source api, Cause null', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'DryRun', value: 'FALSE' }, { name: 'Secret', value: 'pw' }] } })
  t.equal(res.json().ErrorCode, 1000)
  const info = await buildInfo(app, planId)
  t.same(info.Parameter.parameter, [
    { name: 'DryRun', value: 'false' },
    { name: 'Secret', value: 'pw' },
    { name: 'Branch', value: 'main' },
    { name: 'Notes', value: '' },
    { name: 'Env', value: 'dev' },
    { name: 'DevOpsPlanID', value: String(planId) },
    { name: 'BuildIndex', value: '1' }
  ])
  t.equal(info.Source, 'api')
  t.equal(info.Cause, null)
  t.same(jenkins.lastQueueItem()?.params, { Branch: 'main', Notes: '', DryRun: 'false', Env: 'dev', Secret: 'pw', DevOpsPlanID: String(planId), BuildIndex: '1' })
  // a password left out is Jenkins' business: never stored
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const second = await buildInfo(app, planId, 2)
  t.notOk(second.Parameter.parameter.some((p: { name: string }) => p.name === 'Secret'))
  t.notOk(JSON.stringify(second).includes('hunter2'))
})

t.test('definitions are cached per job (one read for many builds) and read again after a refused trigger', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  for (let i = 0; i < 3; i++) t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  t.equal(defsRead(jenkins), 1, 'one definitions read for three builds')
  ;(jenkins.jobs.get('Typed') as { disabled?: boolean }).disabled = true
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1007)
  ;(jenkins.jobs.get('Typed') as { disabled?: boolean }).disabled = false
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  t.equal(defsRead(jenkins), 2, 'the refusal made the next Build/add read them again')
})

t.test('a job with no parameters starts with POST job/…/build and is followed by its queue item', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'Bare')
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  t.equal(jenkins.requests.filter((r) => r.method === 'POST').map((r) => r.path).join(), '/job/Bare/build')
  const item = jenkins.lastQueueItem()
  const info = await buildInfo(app, planId)
  t.equal(info.JenkinsQueueID, item?.id)
  t.match(info.Detail, { Note: /callbacks cannot be matched by parameters/ })
  jenkins.startQueued(item?.id as number)
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId)).JenkinsBuildNumber, 1, 'the poller followed the queue item to its run')
  // a parameter for a job that declares none is refused
  t.match((await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'X', value: '1' }] } })).json(),
    { ErrorCode: 1001, Description: /declares no parameters/ })
})

t.test('a job without DevOpsPlanID/BuildIndex definitions still runs, with a note', async (t) => {
  const { app, jenkins, planId } = await setup(t, 'Unmatched')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Branch', value: 'dev' }] } })).json().ErrorCode, 1000)
  t.equal(jenkins.lastQueueItem()?.params.Branch, 'dev')
  t.match((await buildInfo(app, planId)).Detail, { Note: /DevOpsPlanID and BuildIndex.*callbacks cannot be matched by parameters/ })
})

t.test('RequestID: a repeat answers the same BuildIndex and triggers nothing; 1–128 characters', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const first = await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: 'r-1' })
  t.same(first.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  const again = await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: 'r-1', Parameter: { parameter: [{ name: 'Env', value: 'prod' }] } })
  t.same(again.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  t.equal(posts(jenkins), 1, 'one trigger')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: 'r-2' })).json().BuildIndex, 2)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 3, 'builds without RequestID never collide')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 4)
  // per plan: another plan may use the same RequestID
  const p = (await post(app, '/Product/add', { ProductName: 'P2' })).json()
  const plan2 = (await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: 'P2', JobName: 'Typed' })).json().DevOpsPlanID
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: plan2, RequestID: 'r-1' })).json().BuildIndex, 1)
  t.equal(posts(jenkins), 5)

  for (const bad of ['', 'x'.repeat(129), 5]) {
    const r = await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: bad })
    t.equal(r.statusCode, 400)
    t.match(r.json(), { ErrorCode: 1001, Description: /RequestID/ })
  }
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: 'x'.repeat(128) })).json().BuildIndex, 5)
})

t.test('RequestID: concurrent duplicates in one process make one build and one trigger', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const answers = await Promise.all(Array.from({ length: 20 }, async () => (await post(app, '/Build/add', { DevOpsPlanID: planId, RequestID: 'same' })).json()))
  t.same(new Set(answers.map((a) => `${a.ErrorCode as number}:${a.BuildIndex as number}`)), new Set(['1000:1']))
  t.equal(posts(jenkins), 1)
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 1)
})

t.test('a Jenkins that fails while definitions are read: 1007, build recorded as Fail, caller\'s parameters kept', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  jenkins.failWith = 500 // a 503 is a starting Jenkins: retried for 30 s (trigger-start.test.ts)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Anything', value: 'v' }] } })
  t.equal(res.statusCode, 502)
  t.match(res.json(), { ErrorCode: 1007, Description: /500/, BuildIndex: 1 })
  const info = await buildInfo(app, planId)
  t.equal(info.Status, 'Fail')
  t.same(info.Parameter.parameter[0], { name: 'Anything', value: 'v' })
})

t.test('Plan add/update answer the JobName and JenkinsName the plan watches; Plan/list shows them', async (t) => {
  const app = await build(t)
  const p = (await post(app, '/Product/add', { ProductName: 'X' })).json()
  const added = (await post(app, '/Plan/add', { ProductID: p.ProductID, PlanName: 'A', JobName: ' folder/Job ' })).json()
  t.match(added, { ErrorCode: 1000, DevOpsPlanID: Number, JobName: 'folder/Job', JenkinsName: null })
  const updated = (await post(app, '/Plan/update', { DevOpsPlanID: added.DevOpsPlanID, PlanName: 'B' })).json()
  t.same(updated, { ErrorCode: 1000, Description: 'OK', DevOpsPlanID: added.DevOpsPlanID, JobName: 'folder/Job', JenkinsName: null })
  t.same((await post(app, '/Plan/update', { DevOpsPlanID: added.DevOpsPlanID, JobName: null })).json().JobName, null)
  t.match((await get(app, '/Plan/list', { ProductID: p.ProductID })).json().PlanList, [{ PlanName: 'B', JobName: null, JenkinsName: null }])
})
