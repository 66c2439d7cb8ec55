import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { spawnServer } from '../fixtures/server-process.js'
import { fakeJenkins, freshDatabase } from '../helper.js'

t.test('SIGTERM: the request in flight finishes, new ones are refused, the process exits 0 well within 10 s', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const server = await spawnServer(t, { ...env, JENKINS_TIMEOUT_MS: '5000', DATABASE_URL: await freshDatabase(t), POLL_INTERVAL_MS: '100' })
  const post = async (path: string, body: object) => await (await fetch(server.url + API_PREFIX + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Record<string, any>
  const { ProductID } = await post('/Product/add', { ProductName: 'UShop' })
  const { DevOpsPlanID } = await post('/Plan/add', { ProductID, PlanName: 'Api', JobName: 'Test' })

  jenkins.latencyMs = 1500 // Jenkins is slow: the trigger is still under way when the signal comes
  const inFlight = post('/Build/add', { DevOpsPlanID })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const started = Date.now()
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)))
  server.child.kill('SIGTERM')
  t.same(await inFlight, { ErrorCode: 1000, Description: 'OK', BuildIndex: 1 }, 'the request in flight got its answer')
  t.equal(await exited, 0)
  const took = Date.now() - started
  t.ok(took < 10_000, `exited after ${took} ms`)
  t.equal(jenkins.queue.size, 1, 'the build was triggered before the exit')
})
