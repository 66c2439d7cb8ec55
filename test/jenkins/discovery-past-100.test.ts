import t from 'tap'
import { build, fakeJenkins, get, seedPlan } from '../helper.js'

// Jenkins exports a job's `builds` as its newest 100 runs (Job.getNewBuilds: getBuilds().limit(100)), so
// `builds{100,120}` is empty however many runs the job has: discovery reads past 100 from `allBuilds`, and
// never moves its mark past runs it did not read.

for (const count of [150, 250]) {
  t.test(`${count} runs between two discovery reads: each imported once`, async (t) => {
    const { jenkins, env } = await fakeJenkins(t)
    jenkins.addJob({ name: 'Nightly', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
    const app = await build(t, { env })
    const { planId } = await seedPlan(app, 'Nightly')
    await app.discovery.runOnce() // first sighting: the mark
    for (let i = 0; i < count; i++) jenkins.finish(jenkins.startQueued(jenkins.startRun('Nightly', { cause: 'timer' }).id), 'SUCCESS')
    t.match(await app.discovery.runOnce(), { imported: count })
    t.match(await app.discovery.runOnce(), { imported: 0 }, 'nothing twice')
    const list = (await get(app, '/Build/list', { DevOpsPlanID: planId, PageSize: 500 })).json()
    t.equal(list.TotalCount, count)
    const rows = await app.db.selectFrom('builds').select('jenkins_build_number').where('plan_id', '=', planId).execute()
    const numbers = rows.map((r) => r.jenkins_build_number as number)
    t.same([...numbers].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i + 1), 'every run, once')
  })
}
