import t from 'tap'
import { appWithBuilds, tickLater } from '../helper.js'

// Measures (and bounds) the Jenkins traffic of the poller over the life of 100 builds: queued for a
// tick, then 3 stages over 3 ticks, then finished. The figure goes into the closing note.
t.test('Jenkins requests per build over 100 builds', async (t) => {
  const { app, jenkins } = await appWithBuilds(t, 100, { POLL_INTERVAL_MS: '1000' })
  const tick = async () => await tickLater(app)
  const before = jenkins.requests.length
  await tick() // all waiting in the queue
  const runs = [...jenkins.queue.values()].map((q) => jenkins.startQueued(q.id))
  for (const name of ['Build', 'Test', 'Deploy']) {
    for (const r of runs) {
      const last = r.stages.at(-1)
      if (last != null) jenkins.endStage(last, 'SUCCESS')
      jenkins.enterStage(r, name)
    }
    await tick()
  }
  for (const r of runs) {
    jenkins.endStage(r.stages.at(-1) as NonNullable<ReturnType<typeof r.stages.at>>, 'SUCCESS')
    jenkins.finish(r, 'SUCCESS')
  }
  const last = await tick()
  t.equal(last.finished, 100)
  const idle = await tick()
  t.match(idle, { claimed: 0, requests: 0 }, 'finished builds cost nothing')
  const total = jenkins.requests.length - before
  const perBuild = total / 100
  const byKind = Object.entries(jenkins.requests.slice(before).reduce<Record<string, number>>((acc, r) => {
    const kind = r.path.replace(/\d+/g, 'N')
    acc[kind] = (acc[kind] ?? 0) + 1
    return acc
  }, {}))
  t.comment(`poller: ${total} Jenkins requests for 100 builds over 5 ticks = ${perBuild} per build; ${JSON.stringify(byKind)}`)
  // 1 queue poll + 1 queue poll that finds the number + 4 wfapi + 1 Blue Ocean per new stage (3) + 1 final api/json
  t.ok(perBuild <= 10, `${perBuild} requests per build`)
})
