import t from 'tap'
import { appWithBuilds, buildInfo, post } from '../helper.js'

// A login proxy (OAuth/OIDC) or an http→https rule in front of Jenkins answers 302 to every call.
// Only Jenkins' own redirect after …/stop, back to that run, is success (review S-M7).

t.test('behind a login proxy: Build/cancel is refused naming the redirect, nothing recorded; /readyz says so', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 2)
  const running = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId, 2)).Status, 'Running')
  jenkins.redirectAllTo = 'https://sso.example.com/login'

  const queued = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })
  t.equal(queued.statusCode, 502)
  t.match(queued.json(), { ErrorCode: 1007, Description: /redirect \(302\) to sso\.example\.com/ })
  t.equal((await buildInfo(app, planId, 1)).Status, 'Queued', 'the queued build is not recorded Aborted')

  const run = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 2 })
  t.match(run.json(), { ErrorCode: 1007, Description: /sso\.example\.com/ })
  t.equal((await buildInfo(app, planId, 2)).Status, 'Running')
  t.ok(running.building, 'and Jenkins\' run goes on')

  t.match((await app.inject({ url: '/readyz' })).json().Jenkins, { default: { state: /redirect \(302\) to sso\.example\.com/ } })

  // Jenkins itself again: its redirect after stop leads back to the run, which is success
  jenkins.redirectAllTo = null
  t.match((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 2 })).json(), { ErrorCode: 1000 })
  t.equal(running.result, 'ABORTED')
})

t.test('a trigger answered with a redirect fails the build with the redirect named', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  jenkins.redirectAllTo = 'https://sso.example.com/login'
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.match(res.json(), { ErrorCode: 1007, Description: /redirect/ })
  t.equal((await buildInfo(app, planId, 1)).Status, 'Fail')
})

t.test('a trigger redirected once the job\'s parameters are cached: 1007 naming the redirect host, the build Fail', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1)
  t.equal((await buildInfo(app, planId, 1)).Status, 'Queued', 'the first Build/add reached Jenkins')
  // the parameter definitions are cached: the trigger is the only call the proxy answers
  jenkins.redirectAllTo = 'https://sso.example.com/oauth2/start'
  const mark = jenkins.requests.length
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.same(jenkins.requests.slice(mark).map((r) => r.path), ['/job/Test/buildWithParameters'])
  t.equal(res.statusCode, 502)
  t.match(res.json(), { ErrorCode: 1007, Description: /trigger of job "Test" with a redirect \(302\) to sso\.example\.com/ })
  t.match(await buildInfo(app, planId, 2), { Status: 'Fail', Detail: { Reason: /sso\.example\.com/ } })
})

for (const location of ['https://sso.example.com/realms/42/auth', 'https://sso.example.com/queue/item/42/']) {
  t.test(`a redirect to ${location} is no queue item of this Jenkins`, async (t) => {
    const { app, jenkins, planId } = await appWithBuilds(t, 1)
    jenkins.redirectAllTo = location
    const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
    t.match(res.json(), { ErrorCode: 1007, Description: /redirect \(302\) to sso\.example\.com/ })
    t.match(await buildInfo(app, planId, 2), { Status: 'Fail', JenkinsQueueID: null })
  })
}

t.test('a trigger Jenkins answers without a queue item (the queue refused it) ends the build Fail', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  const job = jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' }, queueRefused: true })
  t.ok(job.queueRefused)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.equal(res.statusCode, 502)
  t.match(res.json(), { ErrorCode: 1007, Description: /without a queue item/ })
  t.match(await buildInfo(app, planId, 1), { Status: 'Fail', Detail: { Reason: /without a queue item/ } })
  t.equal(jenkins.lastQueueItem(), undefined, 'nothing was queued')
})
