import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { fakeJenkins, freshDatabase } from '../helper.js'
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

// issue 12 point 19: the token mid-query (?src=ci&token=…) as the assembled server logs it, accepted or refused
t.test('a token after another query parameter is masked in every log line of the server process', async (t) => {
  const { jenkins, env } = await fakeJenkins(t)
  const server = await spawnServer(t, { ...env, WEBHOOK_TOKEN: SECRET, DATABASE_URL: await freshDatabase(t) })
  const hook = async (query: string) => await fetch(`${server.url}${API_PREFIX}/Webhook/jenkins?${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Test', url: 'job/Test/', build: { phase: 'STARTED', number: 1, queue_id: 5, full_url: `${jenkins.baseUrl}/job/Test/1/` } })
  })
  const WRONG = 'wrong-secret-0123456789abcdefghijklmn'
  t.match(await (await hook(`src=ci&token=${SECRET}`)).json(), { ErrorCode: 1000 }, 'accepted mid-query')
  t.equal((await hook(`src=ci&token=${WRONG}&x=1`)).status, 401, 'refused mid-query')
  t.equal((await fetch(`${server.url}${API_PREFIX}/Product/list?PageSize=5&access_token=${SECRET}`)).status, 200)
  const exited = new Promise((resolve) => server.child.on('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
  const logs = server.logs.join('\n')
  t.match(logs, /Webhook\/jenkins\?src=ci&token=\[REDACTED\]"/, 'the accepted request was logged, masked')
  t.match(logs, /Webhook\/jenkins\?src=ci&token=\[REDACTED\]&x=1"/, 'the refused one too, the rest of the query kept')
  t.match(logs, /Product\/list\?PageSize=5&access_token=\[REDACTED\]"/)
  t.notMatch(logs, SECRET, 'the secret appears nowhere')
  t.notMatch(logs, WRONG, 'nor the wrong one')
})
