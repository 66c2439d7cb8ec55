import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { fakeJenkins } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'

const SECRET = 'hook-secret-123-0123456789abcdefghij'

t.test('the webhook token in the URL never reaches the log', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  const server = await spawnServer(t, { ...env, WEBHOOK_TOKEN: SECRET, DATABASE_URL: `sqlite:${t.testdir()}/t.sqlite` })
  const res = await fetch(`${server.url}${API_PREFIX}/Webhook/jenkins?token=${SECRET}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Test', url: 'job/Test/', build: { phase: 'STARTED', number: 1, queue_id: 5, full_url: `${jenkins.baseUrl}/job/Test/1/` } })
  })
  t.match(await res.json(), { ErrorCode: 1000, Description: /ignored/ })
  await fetch(`${server.url}${API_PREFIX}/Product/list`, { headers: { authorization: `Bearer ${SECRET}` } })
  const exited = new Promise((resolve) => server.child.on('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
  const logs = server.logs.join('\n')
  t.match(logs, /Webhook\/jenkins\?token=\[REDACTED\]/, 'the request was logged, masked')
  t.notMatch(logs, SECRET, 'the secret appears nowhere')
  t.notMatch(logs, jenkins.apiToken, 'nor the Jenkins token')
})
