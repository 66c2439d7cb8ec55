import t from 'tap'
import { build, fakeJenkins, get, post, seedPlan } from '../helper.js'

const basic = (user: string, secret: string) => 'Basic ' + Buffer.from(`${user}:${secret}`).toString('base64')

t.test('Build/add triggers the job with the caller\'s parameters plus DevOpsPlanID and BuildIndex', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { Branch: 'develop', DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, null)

  const res = await post(app, '/Build/add', {
    DevOpsPlanID: String(planId),
    JobName: 'Test',
    // a stale BuildIndex from the caller is overridden by the real one
    Parameter: { parameter: [{ name: 'Branch', value: 'main' }, { name: 'BuildIndex', value: '999' }] }
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })

  const trigger = jenkins.requests.find((r) => r.method === 'POST')
  t.ok(trigger, 'Jenkins got a POST')
  t.equal(trigger?.path, '/job/Test/buildWithParameters')
  t.equal(trigger?.headers.authorization, basic(jenkins.user, jenkins.apiToken))
  t.same(Object.fromEntries(new URLSearchParams(trigger?.body)), { Branch: 'main', DevOpsPlanID: String(planId), BuildIndex: '1' })
  t.notOk(jenkins.requests.some((r) => r.path === '/crumbIssuer/api/json'), 'an API token needs no crumb')
  const item = jenkins.lastQueueItem()
  t.same(item?.params, { Branch: 'main', DevOpsPlanID: String(planId), BuildIndex: '1' })

  const info = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json()
  t.match(info, {
    ErrorCode: 1000,
    Build: {
      BuildIndex: 1,
      Status: 'Queued',
      StartTime: null,
      EndTime: null,
      CreateTime: Number,
      JobName: 'Test',
      JenkinsQueueID: item?.id,
      JenkinsBuildNumber: null,
      Parameter: { parameter: [{ name: 'Branch', value: 'main' }, { name: 'DevOpsPlanID', value: String(planId) }, { name: 'BuildIndex', value: '1' }] }
    }
  })
  t.ok(Math.abs(info.Build.CreateTime - Date.now() / 1000) < 60, 'CreateTime is epoch seconds')

  // the next build gets the next index
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'Test' })).json().BuildIndex, 2)
  t.same(jenkins.lastQueueItem()?.params, { Branch: 'develop', DevOpsPlanID: String(planId), BuildIndex: '2' }, 'absent parameters take the job default')
})

// issue 12 point 19: DevOpsPlanID is the service's to set, like BuildIndex: a caller's value (stale,
// or another plan's) must neither reach Jenkins, where callbacks would name the wrong plan, nor be stored
t.test('a caller-sent DevOpsPlanID is replaced by the plan\'s own, in Jenkins and on record', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { Branch: 'develop', DevOpsPlanID: '', BuildIndex: '' } })
  jenkins.addJob({ name: 'Bare', parameters: null })
  const app = await build(t, { env })
  const { productId, planId } = await seedPlan(app, 'Test')
  const other = String(planId + 41)
  const res = await post(app, '/Build/add', {
    DevOpsPlanID: planId,
    Parameter: { parameter: [{ name: 'DevOpsPlanID', value: other }, { name: 'Branch', value: 'main' }, { name: 'BuildIndex', value: '999' }] }
  })
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  const sent = new URLSearchParams(jenkins.requests.findLast((r) => r.method === 'POST')?.body)
  t.same(sent.getAll('DevOpsPlanID'), [String(planId)], 'Jenkins gets the plan\'s DevOpsPlanID, once')
  t.same(sent.getAll('BuildIndex'), ['1'])
  t.same(jenkins.lastQueueItem()?.params, { Branch: 'main', DevOpsPlanID: String(planId), BuildIndex: '1' })
  t.same((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Parameter, {
    parameter: [{ name: 'Branch', value: 'main' }, { name: 'DevOpsPlanID', value: String(planId) }, { name: 'BuildIndex', value: '1' }]
  }, 'stored once, with the plan\'s value')

  // a job with no parameters: the caller's DevOpsPlanID is not "undeclared", it is simply the service's
  const bare = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'Bare', JobName: 'Bare' })).json().DevOpsPlanID
  const plain = await post(app, '/Build/add', { DevOpsPlanID: bare, Parameter: { parameter: [{ name: 'DevOpsPlanID', value: other }] } })
  t.same(plain.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  t.equal(jenkins.requests.findLast((r) => r.method === 'POST')?.path, '/job/Bare/build')
  t.same((await get(app, '/Build/info', { DevOpsPlanID: bare, BuildIndex: 1 })).json().Build.Parameter.parameter,
    [{ name: 'DevOpsPlanID', value: String(bare) }, { name: 'BuildIndex', value: '1' }])
})

t.test('JobName defaults to the plan\'s; folders; single-object and non-string parameters', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'team a/sub/Deploy', parameters: { DryRun: 'false', N: '0', DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, 'team a/sub/Deploy')
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: { name: 'DryRun', value: true } } })
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  t.equal(jenkins.requests.at(-1)?.path, '/job/team%20a/job/sub/job/Deploy/buildWithParameters')
  t.same(jenkins.lastQueueItem()?.params, { DryRun: 'true', N: '0', DevOpsPlanID: String(planId), BuildIndex: '1' })

  await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'N', value: 3 }] } })
  t.equal(jenkins.lastQueueItem()?.params.N, '3')
})

t.test('no JobName and no default: 1001, nothing recorded', async (t) => {
  const { env } = await fakeJenkins(t)
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, null)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { ErrorCode: 1001, Description: /JobName/ })
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 0)
})

t.test('no JENKINS_URL: 1006, nothing recorded', async (t) => {
  const app = await build(t)
  const { planId } = await seedPlan(app)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.equal(res.statusCode, 503)
  t.match(res.json(), { ErrorCode: 1006, Description: /JENKINS_URL/ })
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 0)
  // the index was not consumed either: the plan's counter is still at 0
  const plan = await app.db.selectFrom('plans').select('last_build_index').where('id', '=', planId).executeTakeFirstOrThrow()
  t.equal(Number(plan.last_build_index), 0, 'the index was not consumed')
})

t.test('unknown plan: 1002', async (t) => {
  const { env } = await fakeJenkins(t)
  const app = await build(t, { env })
  const res = await post(app, '/Build/add', { DevOpsPlanID: 77, JobName: 'Test' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().ErrorCode, 1002)
})

t.test('Jenkins refuses or does not answer: 1007 with the BuildIndex, build kept as Fail with the reason', async (t) => {
  const cases: Array<{ name: string, setup: (j: Awaited<ReturnType<typeof fakeJenkins>>) => Record<string, string>, job: string, reason: RegExp }> = [
    { name: 'unknown job', job: 'Nope', setup: ({ env }) => env, reason: /not found/ },
    { name: 'unknown folder', job: 'missing/Test', setup: ({ env }) => env, reason: /not found/ },
    { name: 'bad credentials', job: 'Test', setup: ({ env }) => ({ ...env, JENKINS_TOKEN: 'wrong' }), reason: /credentials.*401/ },
    { name: 'no credentials', job: 'Test', setup: ({ env }) => ({ JENKINS_URL: env.JENKINS_URL }), reason: /403/ },
    { name: 'server error', job: 'Test', setup: ({ jenkins, env }) => { jenkins.failWith = 500; return env }, reason: /500/ },
    { name: 'disabled job', job: 'Off', setup: ({ env }) => env, reason: /409/ },
    { name: 'timeout', job: 'Test', setup: ({ jenkins, env }) => { jenkins.hang = true; return { ...env, JENKINS_TIMEOUT_MS: '300' } }, reason: /did not answer within 300 ms/ },
    { name: 'unreachable', job: 'Test', setup: () => ({ JENKINS_URL: 'http://127.0.0.1:9', JENKINS_TIMEOUT_MS: '1000' }), reason: /unreachable/ }
  ]
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const fake = await fakeJenkins(t)
      fake.jenkins.addJob({ name: 'Test', parameters: { Branch: '', DevOpsPlanID: '', BuildIndex: '' } })
      fake.jenkins.addJob({ name: 'Off', parameters: { Branch: '', DevOpsPlanID: '', BuildIndex: '' }, disabled: true })
      const app = await build(t, { env: c.setup(fake) })
      const { planId } = await seedPlan(app, c.job)
      const res = await post(app, '/Build/add', { DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'Branch', value: 'main' }] } })
      t.equal(res.statusCode, 502)
      t.match(res.json(), { ErrorCode: 1007, Description: c.reason, BuildIndex: 1 })
      const info = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
      t.equal(info.Status, 'Fail')
      t.match(info.Detail, { Reason: c.reason })
      t.type(info.EndTime, 'number')
      t.same(info.Parameter.parameter[0], { name: 'Branch', value: 'main' }, 'what the caller sent is kept')
      // the next build still gets the next index
      t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex, 2)
    })
  }
})

t.test('password auth: Jenkins wants a CSRF crumb, bound to the session cookie', async (t) => {
  const { jenkins, env } = await fakeJenkins(t, { password: 's3cret-pass', csrf: true })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, JENKINS_TOKEN: 's3cret-pass' } })
  const { planId } = await seedPlan(app)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 })
  const posts = jenkins.requests.filter((r) => r.method === 'POST')
  t.equal(posts.length, 2, 'one refused without crumb, one accepted with it')
  t.ok(posts[1].headers['jenkins-crumb'])
  t.match(posts[1].headers.cookie, /JSESSIONID/)
  t.equal(jenkins.queue.size, 1)
})

t.test('Jenkins reuses an identical waiting item (303): the build follows that item', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  // a job that does not define DevOpsPlanID/BuildIndex: Jenkins drops them, so two triggers look alike
  jenkins.addJob({ name: 'Test', parameters: { Branch: 'main' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  const first = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
  const second = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 2 })).json().Build
  t.equal(jenkins.queue.size, 1)
  t.equal(second.JenkinsQueueID, first.JenkinsQueueID)
  t.match(second.Detail, { Note: /identical waiting queue item/ })
})

t.test('Build/add bad input: 1001 naming the field, nothing recorded', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /DevOpsPlanID/],
    [{ DevOpsPlanID: 'abc' }, /DevOpsPlanID/],
    [{ DevOpsPlanID: -1 }, /DevOpsPlanID/],
    [{ DevOpsPlanID: planId, JobName: '' }, /JobName/],
    [{ DevOpsPlanID: planId, JobName: 'x'.repeat(513) }, /JobName/],
    [{ DevOpsPlanID: planId, Parameter: 'Branch=main' }, /Parameter/],
    [{ DevOpsPlanID: planId, Parameter: { parameter: [{ value: 'x' }] } }, /Parameter/],
    [{ DevOpsPlanID: planId, Parameter: { parameter: [{ name: 'x', value: { nested: 1 } }] } }, /Parameter/]
  ]
  for (const [body, field] of bad) {
    const res = await post(app, '/Build/add', body)
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60))
    t.match(res.json(), { ErrorCode: 1001, Description: field })
  }
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 0)
  t.equal(jenkins.queue.size, 0)
})
