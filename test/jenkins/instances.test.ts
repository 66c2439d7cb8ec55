import t from 'tap'
import { build, fakeJenkins, get, post, seedPlan, tickLater } from '../helper.js'

t.test('a plan runs on a named Jenkins instance; a dead instance does not hold up the others', async (t) => {
  const main = await fakeJenkins(t)
  const eu = await fakeJenkins(t)
  for (const j of [main.jenkins, eu.jenkins]) j.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, {
    env: {
      ...main.env,
      POLL_INTERVAL_MS: '1000',
      JENKINS_INSTANCES: JSON.stringify({ eu: { url: eu.jenkins.baseUrl, user: eu.jenkins.user, token: eu.jenkins.apiToken } })
    }
  })
  const { productId, planId: mainPlan } = await seedPlan(app)
  const euPlan = (await post(app, '/Plan/add', { ProductID: productId, PlanName: 'EU', JobName: 'Test', JenkinsName: 'eu' })).json().DevOpsPlanID
  t.match((await get(app, '/Plan/list', { ProductID: productId })).json().PlanList, [{ JenkinsName: null }, { JenkinsName: 'eu' }])

  t.equal((await post(app, '/Build/add', { DevOpsPlanID: euPlan })).json().ErrorCode, 1000)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: mainPlan })).json().ErrorCode, 1000)
  t.equal(eu.jenkins.queue.size, 1, 'the EU plan triggered on the EU Jenkins')
  t.equal(main.jenkins.queue.size, 1)

  // the EU Jenkins dies: its builds pause, the main one goes on
  eu.jenkins.failWith = 503
  main.jenkins.finish(main.jenkins.startQueued(main.jenkins.lastQueueItem()?.id as number), 'SUCCESS')
  const first = await app.poller.runOnce()
  t.equal(first.errors, 1)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: mainPlan, BuildIndex: 1 })).json().Build.Status, 'Pass')
  const euRequests = eu.jenkins.requests.length
  await app.poller.runOnce()
  t.equal(eu.jenkins.requests.length, euRequests, 'no request to the dead instance while it is paused')

  eu.jenkins.failWith = null
  eu.jenkins.finish(eu.jenkins.startQueued(eu.jenkins.lastQueueItem()?.id as number), 'FAILURE')
  await tickLater(app)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: euPlan, BuildIndex: 1 })).json().Build.Status, 'Fail', 'recovered')
})

t.test('JenkinsName must be configured; a bad JENKINS_INSTANCES stops the start, naming it', async (t) => {
  const app = await build(t)
  const { productId, planId } = await seedPlan(app)
  const res = await post(app, '/Plan/add', { ProductID: productId, PlanName: 'X', JenkinsName: 'mars' })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { ErrorCode: 1001, Description: /JenkinsName "mars"/ })
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: planId, JenkinsName: 'mars' })).json().ErrorCode, 1001)
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: planId, JenkinsName: null })).json().ErrorCode, 1000)

  const { loadConfig } = await import('../../src/config.js')
  for (const bad of ['{', '[]', '{"eu":{"url":"ftp://x"}}', '{"bad name":{"url":"http://x"}}', '{"eu":{"url":"http://x","extra":1}}']) {
    t.throws(() => loadConfig({ JENKINS_INSTANCES: bad }), /JENKINS_INSTANCES/, bad)
  }
})
