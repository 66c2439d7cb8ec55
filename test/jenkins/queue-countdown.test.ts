import t from 'tap'
import { appWithBuilds, buildInfo, get, tickLater } from '../helper.js'

// Jenkins' queue reasons carry a countdown that changes on every read ("(ETA: 59 sec)", "Expires in
// 2.4 sec"): stored as is, a build waiting half an hour wrote ~720 Detail changes and events (review S-M5).

const reasonEvents = async (app: Parameters<typeof get>[0], planId: number): Promise<unknown[]> =>
  (await get(app, '/Build/events', { DevOpsPlanID: planId, BuildIndex: 1 })).json().EventList
    .filter((e: { Detail?: Record<string, unknown> }) => e.Detail != null && 'QueueReason' in e.Detail)

t.test('a build blocked behind a running one records its reason once, however often the ETA changes', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1)
  const id = jenkins.lastQueueItem()?.id as number
  jenkins.blockQueued(id, 'Build #6 is already in progress (ETA: {countdown})')
  for (let i = 0; i < 20; i++) await tickLater(app)
  t.equal(jenkins.countRequests(`/queue/item/${id}/api/json`), 20, 'Jenkins was asked on each tick, with a new ETA each time')
  t.match(await buildInfo(app, planId), { Status: 'Queued', Detail: { QueueReason: 'Build #6 is already in progress' } })
  t.equal((await reasonEvents(app, planId)).length, 1, 'one event for the reason')
})

t.test('the quiet period\'s "Expires in …" is not part of the reason either', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  for (let i = 0; i < 3; i++) await tickLater(app)
  t.match(await buildInfo(app, planId), { Status: 'Queued', Detail: { QueueReason: 'In the quiet period.' } })
  t.equal((await reasonEvents(app, planId)).length, 1)
})
