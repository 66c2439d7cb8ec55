import t from 'tap'
import { build, fakeJenkins, freshDatabase, get, post, seedPlan } from '../helper.js'

// Stage/info answers are cached per build revision; a write through any process must show at once.
t.test('Stage/info cache stays right with two server instances on one database', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const a = await build(t, { env: { ...env, DATABASE_URL } })
  const b = await build(t, { env: { ...env, DATABASE_URL } })
  const { planId } = await seedPlan(a)
  await post(a, '/Build/add', { DevOpsPlanID: planId })
  const stagesVia = async (app: typeof a) => (await get(app, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json()

  await post(a, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'running' })
  t.match((await stagesVia(a)).StageList, [{ StageName: 'Build', Status: 'Running' }])
  t.match((await stagesVia(a)).StageList, [{ StageName: 'Build', Status: 'Running' }], 'served again (from the cache)')

  // the other process writes: the first one sees it on its next read
  await post(b, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'success', Detail: { URL: 'u' } })
  t.match((await stagesVia(a)).StageList, [{ StageName: 'Build', Status: 'Pass', Detail: { URL: 'u' } }])
  await post(b, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Test', Status: 'running' })
  t.equal((await stagesVia(a)).StageCount, 2)
  // the poller writes through the same path
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.endStage(jenkins.enterStage(run, 'Deploy'), 'SUCCESS')
  await b.poller.runOnce()
  t.same((await stagesVia(a)).StageList.map((s: { StageName: string }) => s.StageName), ['Build', 'Test', 'Deploy'])
  t.same(await stagesVia(a), await stagesVia(b), 'both processes answer the same')
})
