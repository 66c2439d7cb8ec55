import t from 'tap'
import { build, seedPlan } from '../helper.js'
import { CLOCK_SKEW_S, ownRuns } from '../../src/repositories/discovery.js'

// A run number alone does not make a run ours: a recreated job numbers its runs from 1 again. Our
// build is that run only when nothing about the run contradicts it: the queue ids agree (when both
// are known), else the start times agree within the clock skew, and we recorded the build before
// the run started.

const T = 1_900_000_000 // seconds

async function withOurBuild (t: Parameters<typeof build>[0], row: { queue_id: number | null, start_time: number | null, create_time: number }) {
  const app = await build(t)
  const { planId } = await seedPlan(app, 'Nightly')
  const ours = { plan_id: planId, build_index: 1, status: 'Pass', job_name: 'Nightly', source: 'api', jenkins_build_number: 1 }
  await app.db.insertInto('builds').values({ ...ours, parameter: '{"parameter":[]}', detail: '{}', ...row }).execute()
  return async (run: { queueId: number | null, timestamp: number }) =>
    (await ownRuns(app.db, null, 'Nightly', [{ number: 1, ...run }])).has(1)
}

t.test('queue ids known on both sides decide', async (t) => {
  const isOurs = await withOurBuild(t, { queue_id: 7, start_time: T, create_time: T - 5 })
  t.equal(await isOurs({ queueId: 7, timestamp: T * 1000 }), true)
  t.equal(await isOurs({ queueId: 8, timestamp: T * 1000 }), false, 'another queue item: a recreated job\'s #1')
})

t.test('without our queue id, the start times decide', async (t) => {
  const isOurs = await withOurBuild(t, { queue_id: null, start_time: T, create_time: T - 5 })
  t.equal(await isOurs({ queueId: 8, timestamp: (T + 10) * 1000 }), true, 'within the clock skew')
  t.equal(await isOurs({ queueId: 8, timestamp: (T + CLOCK_SKEW_S + 60) * 1000 }), false, 'a run that started later')
})

t.test('a run that started before we recorded the build is not ours', async (t) => {
  const isOurs = await withOurBuild(t, { queue_id: null, start_time: null, create_time: T })
  t.equal(await isOurs({ queueId: null, timestamp: T * 1000 }), true, 'nothing contradicts')
  t.equal(await isOurs({ queueId: null, timestamp: (T - CLOCK_SKEW_S - 60) * 1000 }), false)
})
