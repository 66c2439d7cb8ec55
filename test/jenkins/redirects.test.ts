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
