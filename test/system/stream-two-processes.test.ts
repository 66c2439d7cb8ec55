import t from 'tap'
import { freshDatabase, post } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'
import { openStream } from '../fixtures/sse.js'

// Two server processes on one database: a build updated through A reaches a subscriber of B within
// 1 s (its tail reads the shared events table), in order, none missing, and again after a reconnect.
t.test('events written by process A reach a stream on process B, in order, and resume with Last-Event-ID', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const env = { DATABASE_URL, STREAM_POLL_MS: '250' }
  const a = await spawnServer(t, env)
  const b = await spawnServer(t, env)
  const { ProductID } = (await post(a.url, '/Product/add', { ProductName: '优选商城' })).json()
  const { DevOpsPlanID } = (await post(a.url, '/Plan/add', { ProductID, PlanName: 'UShopApi' })).json()
  // a build of the plan (no Jenkins here): recorded the way the service imports one, through the repository
  const { Kysely } = await import('kysely')
  const { createDialect } = await import('../../db/dialect.js')
  const { recordBuild } = await import('../../src/repositories/builds.js')
  const db = new Kysely<any>({ dialect: await createDialect(DATABASE_URL) })
  await recordBuild(db, DevOpsPlanID, 'Test', null, (i) => [{ name: 'BuildIndex', value: String(i) }])
  await db.destroy()

  const stream = await openStream(`${b.url}/TestCloud/DevOps/events?DevOpsPlanID=${DevOpsPlanID}&BuildIndex=1`)
  t.teardown(stream.close)
  const stages = ['Checkout', 'Build', 'Test']
  const sentAt: number[] = []
  for (const name of stages) {
    sentAt.push(Date.now())
    t.equal((await post(a.url, '/Build/update', { DevOpsPlanID, BuildIndex: 1, StageName: name, Status: 'Pass' })).json().ErrorCode, 1000)
  }
  // Checkout also moves the build to Running: 4 events
  const got = await stream.waitFor(4, 1000 + 500)
  t.same(got.map((e) => [e.data.StageName, e.data.Status]), [['Checkout', 'Pass'], ['', 'Running'], ['Build', 'Pass'], ['Test', 'Pass']], 'in order, none missing')
  t.same(got.map((e) => e.id), [...got.map((e) => e.id)].sort((x, y) => x - y))
  stream.close()

  // reconnect on B with the last id seen after the second event: the rest comes back, then live ones
  const again = await openStream(`${b.url}/TestCloud/DevOps/events?DevOpsPlanID=${DevOpsPlanID}`, { 'last-event-id': String(got[1].id) })
  t.teardown(again.close)
  await post(a.url, '/Build/update', { DevOpsPlanID, BuildIndex: 1, Status: 'Pass' })
  const resumed = await again.waitFor(3, 1500)
  t.same(resumed.map((e) => e.id).slice(0, 2), [got[2].id, got[3].id], 'the missed events, none twice')
  t.same([resumed[2].data.StageName, resumed[2].data.Status], ['', 'Pass'], 'then the live one from A')
})
