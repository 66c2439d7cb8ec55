import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { build, buildInfo, fakeJenkins, post, seedPlan } from '../helper.js'

// What a notification may change: never the final status of a build that ended (a replayed old
// "COMPLETED SUCCESS" does not turn Fail into Pass), never a known run URL (another job's URL is
// not this run's), nothing from a host that is not a configured instance nor the root URL that
// instance reports for its runs; numbers bounded, URLs only http(s).

const SECRET = 'hook-secret-123-0123456789abcdefghij'

const hook = async (app: FastifyInstance, body: unknown) => await app.inject({
  method: 'POST',
  url: `${API_PREFIX}/Webhook/jenkins?token=${SECRET}`,
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body)
})

function notification (fullUrl: string | undefined, number: unknown, queueId: unknown, phase: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'Test',
    url: 'job/Test/',
    build: { ...(fullUrl == null ? {} : { full_url: fullUrl }), number, queue_id: queueId, phase, timestamp: 1714380006000, url: `job/Test/${String(number)}/`, ...extra }
  }
}

async function setup (t: Parameters<typeof build>[0], opts: { rootUrl?: string } = {}) {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view', ...opts })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  jenkins.addJob({ name: 'Other', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, WEBHOOK_TOKEN: SECRET } })
  const { planId } = await seedPlan(app)
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const queueId = jenkins.lastQueueItem()?.id as number
  return { app, jenkins, planId, queueId }
}

t.test('a replayed old COMPLETED SUCCESS never turns a failed build into Pass', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  const run = jenkins.startQueued(queueId)
  jenkins.playPipeline(run, [{ name: 'Deploy', result: 'FAILURE' }])
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId)).Status, 'Fail')
  const reply = (await hook(app, notification(`${jenkins.baseUrl}/job/Test/1/`, 1, queueId, 'COMPLETED', { status: 'SUCCESS' }))).json()
  t.match(reply, { ErrorCode: 1000, Description: /ignored: .*already ended \(Fail\)/ })
  t.equal((await buildInfo(app, planId)).Status, 'Fail')
})

t.test('a known run URL is never replaced by another job\'s URL', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  jenkins.startQueued(queueId)
  await app.poller.runOnce()
  const url = (await buildInfo(app, planId)).JenkinsURL
  t.equal(url, `${jenkins.baseUrl}/job/Test/1/`)
  await hook(app, notification(`${jenkins.baseUrl}/job/Other/1/`, 1, queueId, 'STARTED'))
  t.equal((await buildInfo(app, planId)).JenkinsURL, url)
})

t.test('a first run URL of another job is not this build\'s run: ignored, nothing stored', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  // our queue id, the build's job in `url`, but another job's run in full_url
  const reply = (await hook(app, notification(`${jenkins.baseUrl}/job/Other/5/`, 5, queueId, 'STARTED'))).json()
  t.match(reply, { ErrorCode: 1000, Description: /ignored: full_url is a run of job Other; .* runs job Test/ })
  t.match(await buildInfo(app, planId), { Status: 'Queued', JenkinsBuildNumber: null, JenkinsURL: null })
  jenkins.startQueued(queueId)
  const ok = (await hook(app, notification(`${jenkins.baseUrl}/job/Test/1/`, 1, queueId, 'STARTED'))).json()
  t.equal(ok.Description, 'OK')
  t.match(await buildInfo(app, planId), { Status: 'Running', JenkinsBuildNumber: 1, JenkinsURL: `${jenkins.baseUrl}/job/Test/1/` })
})

t.test('a notification from an unconfigured host is ignored with the reason, even with our queue id', async (t) => {
  const { app, planId, queueId } = await setup(t)
  const reply = (await hook(app, notification('https://evil.example.com/job/Test/55/', 55, queueId, 'STARTED'))).json()
  t.match(reply, { ErrorCode: 1000, Description: /ignored: .*evil\.example\.com.*not a configured Jenkins/ })
  t.match(await buildInfo(app, planId), { Status: 'Queued', JenkinsBuildNumber: null, JenkinsURL: null })
})

t.test('behind a proxy: the root URL the instance reports for its runs is that instance', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t, { rootUrl: 'https://ci.example.com/' })
  jenkins.startQueued(queueId)
  await app.poller.runOnce() // the poller learns the root URL from the queue item's executable
  await post(app, '/Build/add', { DevOpsPlanID: planId })
  const second = jenkins.lastQueueItem()?.id as number
  jenkins.startQueued(second)
  const reply = (await hook(app, notification('https://ci.example.com/job/Test/2/', 2, second, 'STARTED'))).json()
  t.equal(reply.Description, 'OK')
  t.match(await buildInfo(app, planId, 2), { Status: 'Running', JenkinsBuildNumber: 2, JenkinsURL: 'https://ci.example.com/job/Test/2/' })
})

t.test('numbers out of bounds and URLs that are not http(s) are not stored', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  jenkins.startQueued(queueId)
  const huge = (await hook(app, notification(`${jenkins.baseUrl}/job/Test/1/`, 1e300, queueId, 'STARTED'))).json()
  t.equal(huge.ErrorCode, 1000)
  let b = await buildInfo(app, planId)
  t.not(b.JenkinsBuildNumber, 1e300)
  t.notMatch(JSON.stringify(b), /e\+300/)
  const early = (await hook(app, notification(`${jenkins.baseUrl}/job/Test/1/`, 1, queueId, 'STARTED', { timestamp: 1e300 }))).json()
  t.equal(early.ErrorCode, 1000)
  b = await buildInfo(app, planId)
  t.ok(b.StartTime == null || (b.StartTime > 946684800 && b.StartTime < 4102444800), 'a start time between 2000 and 2100')
  await hook(app, notification('javascript:alert(1)//job/Test/1/', 1, queueId, 'STARTED'))
  t.notMatch(String((await buildInfo(app, planId)).JenkinsURL), /^javascript:/)
})

t.test('a run number past 2^31 − 1 (the INT column) is ignored like any implausible number', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t)
  jenkins.startQueued(queueId)
  const reply = await hook(app, notification(undefined, 3_000_000_000, queueId, 'STARTED'))
  t.same([reply.statusCode, reply.json().ErrorCode], [200, 1000])
  t.match(await buildInfo(app, planId), { Status: 'Running', JenkinsBuildNumber: null })
  await hook(app, notification(`${jenkins.baseUrl}/job/Test/1/`, 1, queueId, 'STARTED'))
  t.match(await buildInfo(app, planId), { JenkinsBuildNumber: 1 }, 'the run\'s own number is taken')
})

t.test('a run URL from Jenkins that is not http(s) is not stored', async (t) => {
  const { app, jenkins, planId, queueId } = await setup(t, { rootUrl: 'javascript:alert(1)//' })
  jenkins.startQueued(queueId)
  await app.poller.runOnce()
  const b = await buildInfo(app, planId)
  t.equal(b.JenkinsBuildNumber, 1)
  t.equal(b.JenkinsURL, null)
})
