import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../../src/lib/root.js'
import { freePort } from '../helper.js'

// issue 12 points 12 and 15: start-up and CLI failures give one clear line, no stack trace
async function run (args: string[], env: Record<string, string>): Promise<{ code: number | null, stderr: string, stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env } })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (d) => { stderr += String(d) })
  child.stdout.on('data', (d) => { stdout += String(d) })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, stderr, stdout }
}
const server = join(ROOT, 'src/server.ts')

t.test('EADDRINUSE: one line naming the port and the fix', async (t) => {
  const port = await freePort()
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const r = await run([server], { PORT: String(port), DATABASE_URL: 'sqlite::memory:' })
  t.equal(r.code, 1)
  t.equal(r.stderr.trim(), `cannot start: 127.0.0.1:${port} is already in use (EADDRINUSE); stop the other process or set PORT`)
})

t.test('an unreachable MySQL: one line with the cause, the password masked', async (t) => {
  const r = await run([server], { PORT: '0', DATABASE_URL: 'mysql://u:hunter2@127.0.0.1:1/db' })
  t.equal(r.code, 1)
  t.match(r.stderr, /^cannot start: the database mysql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db failed: ECONNREFUSED.*check DATABASE_URL/m)
  t.notMatch(r.stderr + r.stdout, /hunter2| {4}at /)
})

t.test('npm run token -- --help: usage, no stack trace', async (t) => {
  const r = await run([join(ROOT, 'src/cli/token.ts'), '--help'], { DATABASE_URL: 'sqlite::memory:' })
  t.equal(r.code, 0)
  t.match(r.stdout, /^usage:\n.*create --name NAME --role/)
  const bad = await run([join(ROOT, 'src/cli/token.ts'), '--bogus'], { DATABASE_URL: 'sqlite::memory:' })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /Unknown option '--bogus'[\s\S]*usage:/)
  t.notMatch(bad.stderr, / {4}at /)
})
