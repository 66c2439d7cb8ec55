import { execFile } from 'node:child_process'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { ROOT } from '../../src/lib/root.js'
import { spawnServer } from '../fixtures/server-process.js'
import { freshDatabase } from '../helper.js'

t.test('npm run token: create prints the token alone on its last line, and the server then requires it', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  // asynchronous: a spawnSync would stall this process's event loop for seconds, and undici would then
  // reuse a keep-alive socket the server had already closed (the test failed with "other side closed")
  const run = async (...args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> => await new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'token', '--', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => { resolve({ status: err == null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }) })
  })
  const created = await run('create', '--name', 'ci admin', '--role', 'admin')
  t.equal(created.status, 0, created.stderr)
  const token = created.stdout.trim().split('\n').at(-1) as string
  t.match(token, /^tc_[A-Za-z0-9_-]{40,}$/)
  t.equal((await run('create', '--name', 'ci admin', '--role', 'read')).status, 1, 'names are unique')
  t.equal((await run('create', '--name', 'x', '--role', 'root')).status, 2, 'unknown role')
  t.match((await run('list')).stdout, /ci admin\tadmin\tcreated .*never used/)
  const stored = (await run('list')).stdout
  t.notMatch(stored, token, 'list never shows the token')

  const server = await spawnServer(t, { DATABASE_URL })
  t.notOk(server.logs.some((l) => l.includes('NO API TOKEN EXISTS')), 'no open-mode warning once a token exists')
  const url = `${server.url}${API_PREFIX}/Product/list`
  t.equal((await (await fetch(url)).json()).ErrorCode, 1004)
  t.equal((await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()).ErrorCode, 1000)
  const refused = await run('revoke', '--name', 'ci admin')
  t.equal(refused.status, 1, 'the last admin token needs --force')
  t.match(refused.stderr, /last admin token.*--force/)
  const forced = await run('revoke', '--name', 'ci admin', '--force')
  t.equal(forced.status, 0)
  t.match(forced.stderr, /last admin token/)
  t.equal((await run('revoke', '--name', 'ci admin', '--force')).status, 1, 'revoking twice: not found')
  t.match((await run('list')).stdout, /closed to everyone/)
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
