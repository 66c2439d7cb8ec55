import { spawnSync } from 'node:child_process'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { ROOT } from '../../src/lib/root.js'
import { spawnServer } from '../fixtures/server-process.js'
import { freshDatabase } from '../helper.js'

t.test('npm run token: create prints the token alone on its last line, and the server then requires it', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const run = (...args: string[]) => spawnSync('npm', ['run', '--silent', 'token', '--', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8', timeout: 30_000 })
  const created = run('create', '--name', 'ci admin', '--role', 'admin')
  t.equal(created.status, 0, created.stderr)
  const token = created.stdout.trim().split('\n').at(-1) as string
  t.match(token, /^tc_[A-Za-z0-9_-]{40,}$/)
  t.equal(run('create', '--name', 'ci admin', '--role', 'read').status, 1, 'names are unique')
  t.equal(run('create', '--name', 'x', '--role', 'root').status, 2, 'unknown role')
  t.match(run('list').stdout, /ci admin\tadmin\tcreated .*never used/)
  const stored = spawnSync('npm', ['run', '--silent', 'token', '--', 'list'], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8' }).stdout
  t.notMatch(stored, token, 'list never shows the token')

  const server = await spawnServer(t, { DATABASE_URL })
  t.notOk(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')), 'no open-mode warning once a token exists')
  const url = `${server.url}${API_PREFIX}/Product/list`
  t.equal((await (await fetch(url)).json()).ErrorCode, 1004)
  t.equal((await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()).ErrorCode, 1000)
  t.equal(run('revoke', '--name', 'ci admin').status, 0)
  t.equal(run('revoke', '--name', 'ci admin').status, 1, 'revoking twice: not found')
})

t.test('open mode is announced loudly at start', async (t) => {
  const server = await spawnServer(t, { DATABASE_URL: `sqlite:${t.testdir()}/t.sqlite` })
  t.ok(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')))
})
