import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { jobNameFromUrl } from '../../src/jenkins/urls.js'
import { build, fakeJenkins, get, post, seedPlan } from '../helper.js'

const SECRET = 'hook-secret-123-0123456789abcdefghij'

async function setup (t: Parameters<typeof build>[0], env: Record<string, string> = { WEBHOOK_TOKEN: SECRET }) {
  const { jenkins, env: jenkinsEnv } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...jenkinsEnv, ...env } })
  const { planId } = await seedPlan(app)
  const index = (await post(app, '/Build/add', { DevOpsPlanID: planId })).json().BuildIndex as number
  const item = jenkins.lastQueueItem()
  if (item == null) throw new Error('no queue item')
  return { app, jenkins, planId, index, queueId: item.id }
}

/** The Notification plugin's JSON for one phase (nulls omitted, as Gson does). */
function notification (jenkinsUrl: string, number: number, queueId: number, phase: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'Test',
    display_name: 'Test',
    url: 'job/Test/',
    build: {
      full_url: `${jenkinsUrl}/job/Test/${number}/`,
      number,
      queue_id: queueId,
      phase,
      timestamp: 1714380006000,
      url: `job/Test/${number}/`,
      scm: { url: 'https://git.example/u/shop.git', branch: 'origin/main', commit: 'c6d86dc', changes: [], culprits: [] },
      parameters: { Branch: 'main', BuildIndex: '1', DevOpsPlanID: '1' },
      log: '',
      artifacts: {},
      ...extra
    }
  }
}

const hook = async (app: FastifyInstance, body: unknown, token: string | null = SECRET, how: 'query' | 'bearer' | 'header' = 'query') => {
  const url = `${API_PREFIX}/Webhook/jenkins${token != null && how === 'query' ? `?token=${encodeURIComponent(token)}` : ''}`
  const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' }
  if (token != null && how === 'bearer') headers.authorization = `Bearer ${token}`
  if (token != null && how === 'header') headers['x-testcloud-token'] = token
  return await app.inject({ method: 'POST', url, headers, payload: JSON.stringify(body) })
}

t.test('STARTED then COMPLETED: Running, then the result and the final stages at once', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  const run = jenkins.startQueued(queueId)
  jenkins.endStage(jenkins.enterStage(run, 'Build'), 'SUCCESS')

  // the plugin sends QUEUED and STARTED back to back at build start
  t.same((await hook(app, notification(jenkins.baseUrl, 1, queueId, 'QUEUED'))).json(), { ErrorCode: 1000, Description: 'OK' })
  t.same((await hook(app, notification(jenkins.baseUrl, 1, queueId, 'STARTED'))).json(), { ErrorCode: 1000, Description: 'OK' })
  let b = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
  t.match(b, { Status: 'Running', StartTime: 1714380006, JenkinsBuildNumber: 1, JenkinsURL: `${jenkins.baseUrl}/job/Test/1/` })

  jenkins.endStage(jenkins.enterStage(run, 'Test'), 'SUCCESS')
  jenkins.finish(run, 'SUCCESS')
  const done = await hook(app, notification(jenkins.baseUrl, 1, queueId, 'COMPLETED', { status: 'SUCCESS', duration: 60000, timestamp: 1714380066000 }), SECRET, 'bearer')
  t.same(done.json(), { ErrorCode: 1000, Description: 'OK' })
  b = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
  t.equal(b.Status, 'Pass')
  const stages = (await get(app, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json()
  t.same(stages.StageList.map((s: { StageName: string, Status: string }) => [s.StageName, s.Status]), [['Build', 'Pass'], ['Test', 'Pass']], 'stages landed without waiting for a tick')

  // FINALIZED repeats the result: nothing changes
  t.equal((await hook(app, notification(jenkins.baseUrl, 1, queueId, 'FINALIZED', { status: 'SUCCESS' }), SECRET, 'header')).json().ErrorCode, 1000)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Pass')
})

t.test('matched by parameters, then by job URL and number, when the queue id is unknown', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  const byParams = notification(jenkins.baseUrl, 1, 99999, 'STARTED', { parameters: { DevOpsPlanID: String(planId), BuildIndex: '1' } })
  t.equal((await hook(app, byParams)).json().Description, 'OK')
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Running')

  const byUrl = notification(jenkins.baseUrl, 1, 99999, 'COMPLETED', { status: 'FAILURE', parameters: {}, full_url: undefined })
  jenkins.finish(jenkins.startQueued(queueId), 'FAILURE')
  t.equal((await hook(app, byUrl)).json().Description, 'OK')
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Fail')
})

// Queue ids are per instance: two Jenkins both hand out item 100. A notification from B updates B's
// build only: by the instance its URL names, or (URL unknown, e.g. behind a proxy) by our parameters.
t.test('two instances, one queue id: the webhook from instance B updates B\'s build only', async (t) => {
  const a = await fakeJenkins(t)
  const b = await fakeJenkins(t)
  for (const j of [a.jenkins, b.jenkins]) j.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, {
    env: { ...a.env, WEBHOOK_TOKEN: SECRET, JENKINS_INSTANCES: JSON.stringify({ b: { url: b.jenkins.baseUrl, user: b.jenkins.user, token: b.jenkins.apiToken } }) }
  })
  const { productId, planId: planA } = await seedPlan(app)
  const planB = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'B', JobName: 'Test', JenkinsName: 'b' })).json().DevOpsPlanID
  // A's build is recorded first: a lookup that takes the first queue-id match finds A's
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planA })).json().ErrorCode, 1000)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planB })).json().ErrorCode, 1000)
  const queueId = a.jenkins.lastQueueItem()?.id as number
  t.equal(b.jenkins.lastQueueItem()?.id, queueId, 'both instances gave the same queue id')
  const status = async (planId: number) => (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status

  // no parameters to help (a job that does not declare ours): the instance alone must pick B's
  t.equal((await hook(app, notification(b.jenkins.baseUrl, 1, queueId, 'STARTED', { parameters: {} }))).json().Description, 'OK')
  t.equal(await status(planB), 'Running', 'B\'s build, named by B\'s URL')
  t.equal(await status(planA), 'Queued', 'A\'s untouched')

  // the run's URL names no configured instance, nor a root URL one reported: not applied on the queue id alone
  const params = { DevOpsPlanID: String(planB), BuildIndex: '1' }
  const proxied = notification('https://jenkins-b.example', 1, queueId, 'COMPLETED', { status: 'FAILURE', parameters: params })
  t.match((await hook(app, proxied)).json().Description, /^ignored: jenkins-b\.example is not a configured Jenkins/)
  t.equal(await status(planB), 'Running')
  t.equal(await status(planA), 'Queued', 'A\'s still untouched')
})

// Without full_url a notification names no instance: with several configured, a queue id alone could be
// any instance's, so only our parameters pick the build; with one instance, its queue id is enough.
t.test('two instances, a notification without full_url: the queue id alone is not enough, our parameters are', async (t) => {
  const a = await fakeJenkins(t)
  const b = await fakeJenkins(t)
  for (const j of [a.jenkins, b.jenkins]) j.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, {
    env: { ...a.env, WEBHOOK_TOKEN: SECRET, JENKINS_INSTANCES: JSON.stringify({ b: { url: b.jenkins.baseUrl, user: b.jenkins.user, token: b.jenkins.apiToken } }) }
  })
  const { productId } = await seedPlan(app)
  const planB = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'B', JobName: 'Test', JenkinsName: 'b' })).json().DevOpsPlanID
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planB })).json().ErrorCode, 1000)
  const queueId = b.jenkins.lastQueueItem()?.id as number
  const status = async () => (await get(app, '/Build/info', { DevOpsPlanID: planB, BuildIndex: 1 })).json().Build.Status
  // instance A's item with the same id (A never saw our build): a queue id without an instance is no match
  const fromA = notification('', 1, queueId, 'COMPLETED', { status: 'FAILURE', parameters: {}, full_url: undefined })
  t.match((await hook(app, fromA)).json().Description, /^ignored: no build matches/)
  t.equal(await status(), 'Queued', 'not applied on the queue id alone')
  const ours = notification('', 1, queueId, 'STARTED', { parameters: { DevOpsPlanID: String(planB), BuildIndex: '1' }, full_url: undefined })
  t.equal((await hook(app, ours)).json().Description, 'OK')
  t.equal(await status(), 'Running', 'our parameters name the build')
})

t.test('an unknown build is answered 1000, says it was ignored, and writes nothing', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const res = await hook(app, notification(jenkins.baseUrl, 42, 777, 'COMPLETED', { status: 'SUCCESS', parameters: {}, url: 'job/Other/42/' }))
  t.equal(res.statusCode, 200)
  t.match(res.json(), { ErrorCode: 1000, Description: /ignored: no build matches.*queue_id 777/ })
  t.match((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build, { Status: 'Queued', JenkinsBuildNumber: null })
})

t.test('wrong or missing token: 1004 and nothing changed; no WEBHOOK_TOKEN: the webhook is off', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  const body = notification(jenkins.baseUrl, 1, queueId, 'STARTED')
  for (const [token, how] of [[null, 'query'], ['wrong', 'query'], ['wrong', 'bearer'], ['', 'header'], [SECRET + 'x', 'query']] as const) {
    const res = await hook(app, body, token, how)
    t.equal(res.statusCode, 401, `token ${String(token)} via ${how}`)
    t.equal(res.json().ErrorCode, 1004)
  }
  // a stranger's malformed body is refused for the token, not parsed
  const junk = await app.inject({ method: 'POST', url: `${API_PREFIX}/Webhook/jenkins`, headers: { 'content-type': 'application/json' }, payload: '{oops' })
  t.equal(junk.statusCode, 401)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Queued')

  const off = await setup(t, {})
  const res = await hook(off.app, body)
  t.equal(res.statusCode, 404)
  t.match(res.json(), { ErrorCode: 1002, Description: /webhook is off.*WEBHOOK_TOKEN/ })
})

t.test('bad notification bodies are 1001', async (t) => {
  const { app } = await setup(t)
  for (const body of [{}, { build: {} }, { build: { phase: 'STARTED', queue_id: 'x' } }, { build: 'x' }]) {
    const res = await hook(app, body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.match(res.json(), { ErrorCode: 1001, Description: /build/ })
  }
})

t.test('job names from notification URLs', async (t) => {
  t.equal(jobNameFromUrl('job/Test/'), 'Test')
  t.equal(jobNameFromUrl('job/a/job/b%20c/job/Test/7/'), 'a/b c/Test')
  t.equal(jobNameFromUrl(undefined), null)
  t.equal(jobNameFromUrl('view/x/'), null)
})

t.test('a run URL is kept only under the instance\'s base URL: a javascript: or other host is ignored', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  jenkins.startQueued(queueId)
  for (const fullUrl of ['javascript:alert(1)//job/Test/1/', 'http://evil.example/job/Test/1/', `${jenkins.baseUrl}evil/job/Test/1/`]) {
    t.equal((await hook(app, notification(jenkins.baseUrl, 1, queueId, 'STARTED', { full_url: fullUrl }))).json().ErrorCode, 1000, 'still a 2xx: Jenkins would retry forever')
    const b = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
    t.equal(b.JenkinsURL, null, `${fullUrl} is not stored`)
    t.equal(b.Status, 'Queued', 'nor applied on the queue id alone: not a configured Jenkins')
  }
  await hook(app, notification(jenkins.baseUrl, 1, queueId, 'STARTED'))
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.JenkinsURL, `${jenkins.baseUrl}/job/Test/1/`, 'a URL under the instance is')
})

t.test('a known run number is never overwritten: a notification naming another run is ignored', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  jenkins.startQueued(queueId)
  await hook(app, notification(jenkins.baseUrl, 1, queueId, 'STARTED'))
  const forged = await hook(app, notification(jenkins.baseUrl, 9, queueId, 'COMPLETED', { status: 'SUCCESS' }))
  t.equal(forged.statusCode, 200)
  t.match(forged.json().Description, /ignored: .* is Jenkins run #1, not #9/)
  t.match((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build,
    { JenkinsBuildNumber: 1, JenkinsURL: `${jenkins.baseUrl}/job/Test/1/`, Status: 'Running' }, 'number, URL and status untouched')
})
