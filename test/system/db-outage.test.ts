import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { ROOT } from '../../src/lib/root.js'
import { spawnServer } from '../fixtures/server-process.js'
import { freePort, MYSQL_URL } from '../helper.js'

// Faults, the database half: a MariaDB of its own (on a free port) is stopped under traffic and
// started again; requests answer 1010/503 quickly, never 500, and the same process recovers.
const BASE = '/var/tmp/testcloud-mariadb-outage'
let PORT = '' // picked when the test starts, and kept across the restart: the server's URL names it
// a database of this run's own: the datadir outlives runs, and an older schema must not be found there
const DB_NAME = `outage_${process.pid}`
const up = (): string => {
  const out = execFileSync('bash', [`${ROOT}/.ci/mariadb-up.sh`], {
    env: { ...process.env, MARIADB_BASE: BASE, MARIADB_PORT: PORT, DB_NAME }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']
  })
  return (out.trim().split('\n').at(-1) as string).replace(/^DATABASE_URL=/, '')
}
const down = async (): Promise<void> => {
  const pid = Number(readFileSync(`${BASE}/run/mysqld.pid`, 'utf8'))
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 100; i++) {
    try { process.kill(pid, 0) } catch { return }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('MariaDB stopped under traffic, then back: 1010/503, no 500, no hang, recovery without restart',
  { skip: MYSQL_URL == null || !existsSync('/usr/sbin/mariadbd') ? 'the MariaDB leg only (needs mariadbd)' : false }, async (t) => {
    // an instance an interrupted earlier run left behind listens on its old port: stop it first
    if (existsSync(`${BASE}/run/mysqld.pid`)) {
      try { await down() } catch { /* not running */ }
    }
    PORT = String(await freePort())
    const url = up()
    const server = await spawnServer(t, { DATABASE_URL: url, RATE_LIMIT_PER_MINUTE: '0' })
    const api = (path: string, body?: object) => fetch(`${server.url}${API_PREFIX}${path}`, body == null
      ? { signal: AbortSignal.timeout(15_000) }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) })
    t.equal((await (await api('/Product/add', { ProductName: `p${Date.now()}` })).json()).ErrorCode, 1000)

    await down()
    const statuses: number[] = []
    const codes: number[] = []
    let slowest = 0
    for (let i = 0; i < 20; i++) {
      const started = Date.now()
      const res = await api(i % 2 === 0 ? '/Product/list' : '/Product/add', i % 2 === 0 ? undefined : { ProductName: `x${i}` })
      slowest = Math.max(slowest, Date.now() - started)
      statuses.push(res.status)
      codes.push((await res.json()).ErrorCode)
    }
    t.same([...new Set(statuses)], [503], 'every request: 503')
    t.same([...new Set(codes)], [1010], 'every request: 1010')
    t.ok(slowest < 6000, `no request hung (slowest ${slowest} ms)`)
    const ready = await fetch(`${server.url}/readyz`)
    t.equal(ready.status, 503)
    t.match(await ready.json(), { ErrorCode: 1010, Database: 'down' })

    const downAt = Date.now()
    up()
    let recovered = -1
    for (let i = 0; i < 200; i++) {
      const res = await api('/Product/list')
      if (res.status === 200) { recovered = Date.now() - downAt; break }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.ok(recovered >= 0, 'the same process serves again')
    t.comment(`database outage: 20 requests during it, all 1010/503, slowest ${slowest} ms; serving again ${recovered} ms after MariaDB was restarted`)
    t.equal((await (await api('/Product/add', { ProductName: `after${Date.now()}` })).json()).ErrorCode, 1000)
    t.notOk(server.logs.some((l) => l.includes('"statusCode":500')), 'no 500 in the log')
    await down()
  })
