import t from 'tap'
import { appWithBuilds, buildInfo, post } from '../helper.js'

t.test('a queued build: out of the Jenkins queue, Aborted', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t)
  const item = jenkins.lastQueueItem()
  const res = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })
  t.same(res.json(), { ErrorCode: 1000, Description: 'OK' })
  t.equal(item?.state, 'cancelled')
  t.ok(jenkins.requests.some((r) => r.method === 'POST' && r.path === '/queue/cancelItem' && r.query.get('id') === String(item?.id)))
  const b = await buildInfo(app, planId)
  t.equal(b.Status, 'Aborted')
  t.type(b.EndTime, 'number')
  // Jenkins confirms it on the next tick; the build stays Aborted and is done
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId)).Status, 'Aborted')
})

t.test('a running build: stopped in Jenkins', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t)
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  await app.poller.runOnce()
  t.equal((await buildInfo(app, planId)).Status, 'Running')
  t.equal((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: '1' })).json().ErrorCode, 1000)
  t.ok(jenkins.requests.some((r) => r.method === 'POST' && r.path === '/job/Test/1/stop'))
  t.equal(run.result, 'ABORTED')
  t.equal((await buildInfo(app, planId)).Status, 'Aborted')
})

t.test('a build that left the queue but has no number yet is stopped as soon as the number shows', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t)
  const queueId = jenkins.lastQueueItem()?.id as number
  const run = jenkins.startQueued(queueId, { withRace: true })
  t.equal((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })).json().ErrorCode, 1000)
  t.equal(run.building, true, 'nothing to stop yet')
  t.equal((await buildInfo(app, planId)).Status, 'Aborted')
  jenkins.settle(queueId)
  await app.poller.runOnce()
  t.equal(run.result, 'ABORTED', 'the poller stopped it once its number was known')
  t.ok(jenkins.requests.some((r) => r.method === 'POST' && r.path === '/job/Test/1/stop'))
})

t.test('already finished: 1003; unknown: 1002; Jenkins refuses: 1007 with the status unchanged', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 2)
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, Status: 'success' })
  const done = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })
  t.equal(done.statusCode, 409)
  t.match(done.json(), { ErrorCode: 1003, Description: /already ended \(Pass\)/ })
  t.equal((await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 9 })).json().ErrorCode, 1002)
  t.equal((await post(app, '/Build/cancel', { DevOpsPlanID: planId })).json().ErrorCode, 1001)

  jenkins.failWith = 500
  const refused = await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 2 })
  t.equal(refused.statusCode, 502)
  t.match(refused.json(), { ErrorCode: 1007, Description: /500/ })
  t.equal((await buildInfo(app, planId, 2)).Status, 'Queued')
})
