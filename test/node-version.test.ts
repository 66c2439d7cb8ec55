import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { ROOT } from '../src/lib/root.js'
import { nodeTooOld } from '../src/node-version.js'

const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href
const ENTRY = join(ROOT, 'src/server.ts')
const TOKEN_ENTRY = join(ROOT, 'src/cli/token.ts')
const LINE = /^cannot start: TestCloud DevOps needs Node\.js >= 22, this is Node\.js 20\.\d+\.\d+; install Node\.js 22 or newer/

t.test('nodeTooOld names the version needed and the one found', async (t) => {
  t.equal(nodeTooOld('22.0.0'), null)
  t.equal(nodeTooOld('24.22.3'), null)
  t.match(nodeTooOld('20.11.1'), LINE)
  t.match(nodeTooOld('18.19.0'), /needs Node\.js >= 22, this is Node\.js 18\.19\.0/)
  t.equal(nodeTooOld(), null, 'this Node')
})

/** Runs an entry point with `node` and `args` (nothing else started: the check comes first). */
function start (node: string, args: string[] = [], entry = ENTRY, entryArgs: string[] = []) {
  const r = spawnSync(node, [...args, '--import', TSX, entry, ...entryArgs], {
    cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, DATABASE_URL: 'sqlite::memory:', PORT: '0' }
  })
  return { status: r.status, lines: `${r.stdout}${r.stderr}`.trim().split('\n') }
}

t.test('the entry point on a Node that reports version 20: one line, exit 1, before anything loads', async (t) => {
  const fake = 'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.11.1"}})'
  const r = start(process.execPath, ['--import', fake])
  t.equal(r.status, 1)
  t.equal(r.lines.length, 1, r.lines.join('\n'))
  t.match(r.lines[0], LINE)
})

const SYSTEM = existsSync('/usr/bin/node') ? spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' }).stdout.trim() : ''
t.test('the entry point on the system\'s Node 20', { skip: SYSTEM.startsWith('v20.') ? false : 'no Node 20 at /usr/bin/node' }, async (t) => {
  const version = SYSTEM
  const r = start('/usr/bin/node')
  t.equal(r.status, 1)
  t.same(r.lines, [`cannot start: TestCloud DevOps needs Node.js >= 22, this is Node.js ${version.slice(1)}; install Node.js 22 or newer (an LTS release)`])
})

t.test('npm run token on an old Node: the same line, not a crash in better-sqlite3', async (t) => {
  const fake = 'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.11.1"}})'
  const r = start(process.execPath, ['--import', fake], TOKEN_ENTRY, ['list'])
  t.equal(r.status, 1)
  t.equal(r.lines.length, 1, r.lines.join('\n'))
  t.match(r.lines[0], LINE)
  if (SYSTEM.startsWith('v20.')) {
    const real = start('/usr/bin/node', [], TOKEN_ENTRY, ['list'])
    t.equal(real.status, 1, 'exit 1 on the system\'s Node 20 (a segmentation fault before)')
    t.same(real.lines.length, 1, real.lines.join('\n'))
  }
})
