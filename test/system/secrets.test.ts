import t from 'tap'
import { spawnServer } from '../fixtures/server-process.js'
import { fakeJenkins, freshDatabase, get, post } from '../helper.js'
import { spawnSync } from 'node:child_process'
import { ROOT } from '../../src/lib/root.js'

// Secrets never leak: a server run at trace level, through successes and failures, with every secret
// in play; then its whole log and every answer are searched for them.
t.test('no secret in any log line or response', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const WEBHOOK_TOKEN = 'webhook-secret-7f3a9c-0123456789abcdef'
  const made = spawnSync('npm', ['run', '--silent', 'token', '--', 'create', '--name', 'root', '--role', 'admin'], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8' })
  const apiToken = made.stdout.trim().split('\n').at(-1) as string
  const server = await spawnServer(t, { ...env, DATABASE_URL, WEBHOOK_TOKEN, LOG_LEVEL: 'trace', POLL_INTERVAL_MS: '100' })
  const answers: string[] = []
  const call = async (path: string, body?: object, headers: Record<string, string> = { authorization: `Bearer ${apiToken}` }) => {
    const res = body == null ? await get(server.url, path, {}, headers) : await post(server.url, path, body, headers)
    answers.push(res.body)
    return res.json()
  }
  const { ProductID } = await call('/Product/add', { ProductName: 'UShop' })
  const { DevOpsPlanID } = await call('/Plan/add', { ProductID, PlanName: 'Api', JobName: 'Test' })
  await call('/Build/add', { DevOpsPlanID })
  await call('/Plan/add', { ProductID, PlanName: 'Gone', JobName: 'Missing' }).then(async (p) => await call('/Build/add', { DevOpsPlanID: p.DevOpsPlanID }))
  await call('/Product/list', undefined, { authorization: 'Bearer wrong' })
  await call('/Product/list', undefined, { 'x-testcloud-token': apiToken })
  await call(`/Webhook/jenkins?token=${WEBHOOK_TOKEN}`, { build: { phase: 'STARTED', queue_id: 1 } }, {})
  await call('/Webhook/jenkins?token=nope', { build: { phase: 'STARTED' } }, {})
  jenkins.failWith = 401 // the poller meets an authentication failure
  await new Promise((resolve) => setTimeout(resolve, 400))
  jenkins.failWith = null
  await fetch(`${server.url}/readyz`)
  const exited = new Promise((resolve) => server.child.on('exit', resolve))
  server.child.kill('SIGTERM')
  await exited

  const logs = server.logs.join('\n')
  t.ok(server.logs.length > 10, `${server.logs.length} log lines captured`)
  for (const [name, secret] of Object.entries({ apiToken, WEBHOOK_TOKEN, JENKINS_TOKEN: jenkins.apiToken })) {
    t.notMatch(logs, secret, `${name} is not in the log`)
    t.notOk(answers.some((a) => a.includes(secret)), `${name} is in no response`)
  }
  const basic = Buffer.from(`${jenkins.user}:${jenkins.apiToken}`).toString('base64')
  t.notMatch(logs, basic, 'nor the Basic header sent to Jenkins')
  t.notMatch(logs, /authorization/i, 'no Authorization header is logged at all')
})
