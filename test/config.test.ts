import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { API_PREFIX } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { ROOT } from '../src/lib/root.js'
import { spawnServer } from './fixtures/server-process.js'

t.test('defaults are the contract\'s', async (t) => {
  t.match(loadConfig({}), {
    HOST: '127.0.0.1', PORT: 3000, DATABASE_URL: 'sqlite:./data/testcloud.sqlite', POLL_INTERVAL_MS: 5000, LOG_LEVEL: 'info'
  })
  t.equal(loadConfig({}).JENKINS_URL, undefined)
  t.equal(loadConfig({ JENKINS_URL: '' }).JENKINS_URL, undefined, 'an empty variable counts as unset')
  t.equal(loadConfig({ PORT: '8080' }).PORT, 8080)
})

t.test('an invalid value names the variable', async (t) => {
  const bad: Array<[string, string]> = [
    ['PORT', 'abc'], ['PORT', '70000'], ['DATABASE_URL', 'postgres://x'], ['JENKINS_URL', 'jenkins.local'],
    ['POLL_INTERVAL_MS', '-5'], ['LOG_LEVEL', 'loud'], ['JENKINS_TIMEOUT_MS', 'soon']
  ]
  for (const [name, value] of bad) {
    t.throws(() => loadConfig({ [name]: value }), new RegExp(name), `${name}=${value}`)
  }
})

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
