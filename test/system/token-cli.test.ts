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
  const refused = run('revoke', '--name', 'ci admin')
  t.equal(refused.status, 1, 'the last admin token needs --force')
  t.match(refused.stderr, /last admin token.*--force/)
  const forced = run('revoke', '--name', 'ci admin', '--force')
  t.equal(forced.status, 0)
  t.match(forced.stderr, /last admin token/)
  t.equal(run('revoke', '--name', 'ci admin', '--force').status, 1, 'revoking twice: not found')
  t.match(run('list').stdout, /closed to everyone/)
  // open mode does not come back: the server, and a new one, still want a token
  t.equal((await (await fetch(url)).json()).ErrorCode, 1004)
  const again = await spawnServer(t, { DATABASE_URL })
  t.equal((await (await fetch(`${again.url}${API_PREFIX}/Product/list`)).json()).ErrorCode, 1004)
  t.notOk(again.logs.some((l) => l.includes('NO API TOKEN EXISTS')))
})

t.test('open mode is announced loudly at start', async (t) => {
  const server = await spawnServer(t, { DATABASE_URL: `sqlite:${t.testdir()}/t.sqlite` })
  t.ok(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')))
})
