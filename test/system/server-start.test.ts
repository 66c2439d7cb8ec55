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
  // SIGTERM: a clean, prompt exit
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)))
  server.child.kill('SIGTERM')
  t.equal(await exited, 0)
})
