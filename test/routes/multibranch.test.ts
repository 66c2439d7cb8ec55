import t from 'tap'
import { build, buildInfo, fakeJenkins, post, seedPlan, tickLater } from '../helper.js'

// Multibranch: a branch `feature/x` is the item `feature%2Fx` (branch-api NameEncoder), so JobName
// is Jenkins' full name `repo/feature%2Fx` (the pipeline's JOB_NAME). Naming the multibranch project
// itself started a branch scan and left the build Queued for ever (review S-M6).

async function setup (t: Parameters<typeof build>[0]) {
  const { jenkins, env } = await fakeJenkins(t, { flavor: 'graph-view' })
  jenkins.addMultibranch('repo', ['feature/x', 'main'], { DevOpsPlanID: '', BuildIndex: '' })
  const app = await build(t, { env })
  const { planId } = await seedPlan(app, null)
  return { app, jenkins, planId }
}

t.test('JobName repo/feature%2Fx triggers the branch and follows it', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'repo/feature%2Fx' })
  t.match(res.json(), { ErrorCode: 1000, BuildIndex: 1 })
  t.equal(jenkins.countRequests('/job/repo/job/feature%252Fx/buildWithParameters'), 1, 'the item name raw-encoded again in the URL')
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, ['Build'])
  await tickLater(app)
  t.match(await buildInfo(app, planId), { Status: 'Pass', JobName: 'repo/feature%2Fx', JenkinsURL: /\/job\/repo\/job\/feature%252Fx\/1\/$/ })
})

t.test('JobName naming the multibranch project is 1001, nothing recorded', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'repo' })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { ErrorCode: 1001, Description: /"repo" is a multibranch project.*repo\/<branch>/ })
  t.equal(jenkins.countRequests((r) => r.method === 'POST'), 0, 'no branch indexing started')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'repo/main' })).json().BuildIndex, 1, 'no BuildIndex used up')
})

t.test('the branch spelled as folders is 1007 naming the spelling Jenkins uses', async (t) => {
  const { app, planId } = await setup(t)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'repo/feature/x' })
  t.match(res.json(), { ErrorCode: 1007, Description: /repo\/feature%2Fx/ })
})

t.test('the branch spelled as in the browser\'s address bar (%252F) is 1007 naming JOB_NAME\'s spelling', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  const res = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'repo/feature%252Fx' })
  t.match(res.json(), { ErrorCode: 1007, Description: /copied from a Jenkins URL.*"repo\/feature%2Fx"/ })
  t.equal(jenkins.countRequests((r) => r.method === 'POST'), 0, 'nothing triggered')
})

t.test('JobName naming a plain folder or an organization folder is 1001 saying what it is, nothing triggered', async (t) => {
  const { app, jenkins, planId } = await setup(t)
  jenkins.addJob({ name: 'team', parameters: null, kind: 'folder' })
  jenkins.addJob({ name: 'github-org', parameters: null, kind: 'organization-folder' })
  const folder = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'team' })
  t.equal(folder.statusCode, 400)
  t.match(folder.json(), { ErrorCode: 1001, Description: /"team" is a folder in Jenkins, not a job: name the job in it/ })
  const org = await post(app, '/Build/add', { DevOpsPlanID: planId, JobName: 'github-org' })
  t.match(org.json(), { ErrorCode: 1001, Description: /"github-org" is an organization folder in Jenkins: name a branch of one of its repositories.*github-org\/<repository>\/<branch>/ })
  t.equal(jenkins.countRequests((r) => r.method === 'POST'), 0, 'no scan of the organization started')
})
