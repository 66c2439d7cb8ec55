import t from 'tap'
import { appWithBuilds, buildInfo, post, tickLater } from '../helper.js'
import type { FakeBuild, FakeJenkins } from '../fixtures/fake-jenkins.js'

// Jenkins that lost queue.xml numbers its queue items from 1 again (QueueIdStrategy.DefaultStrategy): a build
// whose queue item is gone is matched to a run carrying its queue id only when that run was created after the
// build was recorded (less the 300 s of clock skew discovery allows), never to an older run with the same id.

/** An hour-old timer run of Test, then a queue whose ids start again at its id; Build/add then gets that id. */
function olderRunWithSameId (jenkins: FakeJenkins): FakeBuild {
  const old = jenkins.startQueued(jenkins.startRun('Test', { cause: 'timer' }).id)
  jenkins.finish(old, 'SUCCESS')
  old.timestamp = Date.now() - 3_600_000
  jenkins.resetQueueIds(old.queueId)
  return old
}

t.test('the poller: an older run with the queued build\'s id is not attached to it', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  const old = olderRunWithSameId(jenkins)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  const id = jenkins.lastQueueItem()?.id as number
  t.equal(id, old.queueId, 'the new item got the old run\'s queue id')
  jenkins.queue.delete(id) // lost again (a restart without queue.xml): only the job's runs can tell
  await tickLater(app)
  t.match(await buildInfo(app, planId), { Status: 'Queued', JenkinsBuildNumber: null })
  for (let i = 0; i < 3; i++) await tickLater(app)
  const info = await buildInfo(app, planId)
  t.match(info, { Status: 'Fail', JenkinsBuildNumber: null }, 'lost, not the older run\'s Pass')
  t.match(info.Detail.Reason, /vanished/)
})

t.test('the poller: a run created after the build was recorded is still found by its queue id', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1)
  const id = jenkins.lastQueueItem()?.id as number
  const run = jenkins.startQueued(id)
  jenkins.finish(run, 'SUCCESS')
  jenkins.queue.delete(id) // the item expired before the first poll
  await tickLater(app)
  t.match(await buildInfo(app, planId), { Status: 'Pass', JenkinsBuildNumber: run.number })
})

t.test('Build/cancel: an older run with the queued build\'s id is not stopped nor attached', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  const old = olderRunWithSameId(jenkins)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1000)
  jenkins.queue.delete(old.queueId)
  const res = (await post(app, '/Build/cancel', { DevOpsPlanID: planId, BuildIndex: 1 })).json()
  t.match(res, { ErrorCode: 1000, Description: /no longer has this build/ })
  t.match(await buildInfo(app, planId), { Status: 'Aborted', JenkinsBuildNumber: null })
  t.equal(jenkins.countRequests(`/job/Test/${old.number}/stop`), 0, 'the older run was not stopped')
})
