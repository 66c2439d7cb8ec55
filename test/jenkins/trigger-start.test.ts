import t, { type Test } from 'tap'
import { build, buildInfo, fakeJenkins, post, seedPlan } from '../helper.js'

// A Jenkins that is starting answers 503 to everything ("Jenkins is getting ready to work"): the
// trigger is retried (up to 30 s) before Build/add fails (review S-L4). Password auth with a
// session-bound crumb issuer that is not core's (Strict Crumb Issuer) needs the session cookie
// with the crumb, which the npm client copies only for DefaultCrumbIssuer (review S-L5).

/** A plan of job Test on the double, its client retrying a starting Jenkins' 503s without waiting between tries. */
async function startingJenkins (t: Test) {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app)
  const client = app.jenkins.default
  if (client == null) throw new Error('no client')
  client.startRetry = { totalMs: 30_000, delayMs: 1 }
  return { jenkins, app, planId, client }
}

t.test('503 while Jenkins starts: the trigger is retried and the build queued', async (t) => {
  const { jenkins, app, planId, client } = await startingJenkins(t)
  // a first build reads the job's parameter definitions (cached); the next trigger meets two 503s
  t.match((await post(app, '/Build/add', { DevOpsPlanID: planId })).json(), { ErrorCode: 1000, BuildIndex: 1 })
  jenkins.startingRequests = 2
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.match(res.json(), { ErrorCode: 1000, BuildIndex: 2 })
  t.equal((await buildInfo(app, planId, 2)).Status, 'Queued')
  t.equal(jenkins.queue.size, 2)

  client.startRetry = { totalMs: 0, delayMs: 1 }
  jenkins.startingRequests = 5
  t.match((await post(app, '/Build/add', { DevOpsPlanID: planId })).json(), { ErrorCode: 1007, Description: /503/ })
})

t.test('503 while Jenkins starts, parameters not read yet: the read is retried and the first build queued', async (t) => {
  const { jenkins, app, planId } = await startingJenkins(t)
  jenkins.startingRequests = 2 // the job's definitions are read first: their read meets the two 503s
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.match(res.json(), { ErrorCode: 1000, BuildIndex: 1 })
  t.equal((await buildInfo(app, planId, 1)).Status, 'Queued')
  t.equal(jenkins.queue.size, 1)
  t.equal(jenkins.countRequests('/job/Test/api/json'), 3, 'the read answered on its third try')
})

t.test('password auth with the Strict Crumb Issuer: the trigger sends the crumb with its session cookie', async (t) => {
  const { jenkins, env } = await fakeJenkins(t, { password: 'secret-pw', crumbIssuer: 'strict' })
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const app = await build(t, { env: { ...env, JENKINS_TOKEN: 'secret-pw' } })
  const { planId } = await seedPlan(app)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId })
  t.match(res.json(), { ErrorCode: 1000, BuildIndex: 1 })
  t.equal(jenkins.queue.size, 1)
})
