import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { ROOT } from '../../src/lib/root.js'
import { DIALECT } from '../helper.js'

// The benchmark harness runs and writes valid results. No timing is asserted here: speed is for
// `npm run bench` to report, never for a test to judge.
t.test('npm run bench (smoke) writes bench results in the documented shape', { skip: DIALECT === 'mysql' ? 'runs once, in the SQLite leg' : false, timeout: 180_000 }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'tc-bench-smoke-')), 'results.json')
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SMOKE: '1', BENCH_OUT: out }
  delete env.TEST_MYSQL_URL
  delete env.BENCH_MYSQL_URL
  delete env.TEST_DATABASE_URL
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'bench'], { cwd: ROOT, env, encoding: 'utf8', timeout: 170_000 })
  const results = JSON.parse(readFileSync(out, 'utf8'))
  t.match(results, { commit: String, cores: Number, results: Array })
  const names = results.results.map((r: { name: string }) => r.name)
  t.ok(names.includes('Product/list'))
  t.ok(names.some((n: string) => n.startsWith('poller: one tick')))
  t.ok(names.some((n: string) => n.startsWith('startup')))
  for (const r of results.results) {
    t.match(r, { name: String, database: 'SQLite', target: String, met: Boolean })
    if (r.rps != null) {
      t.ok(r.rps > 0, `${r.name}: requests were answered`)
      t.ok(r.baseline_rps > 0, `${r.name}: its baseline was measured`)
      t.equal(r.ratio, Math.round((r.rps / r.baseline_rps) * 100) / 100)
    }
  }
  t.match(stdout, /\| measure \| db \| req\/s/, 'prints the table')
})
