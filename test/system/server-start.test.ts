import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { ROOT } from '../../src/lib/root.js'
import { spawnServer } from '../fixtures/server-process.js'

t.test('the server refuses to start on a bad variable, naming it', async (t) => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, env: { PATH: process.env.PATH, PORT: 'abc', DATABASE_URL: 'sqlite::memory:' }, encoding: 'utf8', timeout: 20_000
  })
  t.equal(res.status, 1)
  t.match(res.stderr, /invalid configuration: .*PORT/)
})

t.test('with no DATABASE_URL the server starts on SQLite at ./data/testcloud.sqlite', async (t) => {
  const dir = t.testdir()
  const server = await spawnServer(t, {}, dir)
  const res = await fetch(`${server.url}${API_PREFIX}/Product/list`)
  t.same(await res.json(), { ErrorCode: 1000, Description: 'OK', TotalCount: 0, ProductList: [] })
  t.ok(existsSync(join(dir, 'data', 'testcloud.sqlite')), 'the database file was created')
  t.ok(server.logs.some((l) => l.includes('JENKINS_URL is not set')), 'says Jenkins is off')
  t.notOk(server.logs.some((l) => l.includes('no user and API token')), 'no Jenkins, no warning about its credentials')
  // SIGTERM: a clean, prompt exit
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)))
  server.child.kill('SIGTERM')
  t.equal(await exited, 0)
})

// issue 12 point 13: a Jenkins configured without credentials is said at start, per instance
t.test('a Jenkins without user and API token is warned about at start, naming the variable and the fix', async (t) => {
  const server = await spawnServer(t, {
    DATABASE_URL: 'sqlite::memory:',
    JENKINS_URL: 'http://127.0.0.1:9/',
    JENKINS_INSTANCES: JSON.stringify({ eu: { url: 'http://127.0.0.1:9/' }, us: { url: 'http://127.0.0.1:9/', user: 'ci', token: 'api-token' } })
  }, t.testdir())
  const warnings = server.logs.filter((l) => l.includes('no user and API token')).map((l) => (JSON.parse(l) as { msg: string }).msg)
  t.match(warnings, [/JENKINS_URL has no user and API token.*set JENKINS_USER and JENKINS_TOKEN/, /JENKINS_INSTANCES\.eu has no user and API token.*"user" and "token"/])
  t.equal(warnings.length, 2, 'the instance with credentials ("us") is not named')
  server.child.kill('SIGTERM')
})
