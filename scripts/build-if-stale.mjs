// `npm start` and `npm run token` run the compiled tree; this compiles it only when a source file is
// newer than the last build (a start then takes about a second instead of a full tsc run). Plain
// JavaScript with no dependencies, so it also runs after `npm install --omit=dev` (where the shipped
// dist/ must already exist: TypeScript is a dev dependency).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stamp = join(root, 'dist', '.build-stamp')
const sources = ['src', 'plugins', 'db'].map((d) => join(root, d))
const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => join(root, f))

function newest (path) {
  const s = statSync(path)
  if (!s.isDirectory()) return path.endsWith('.ts') || configs.includes(path) ? s.mtimeMs : 0
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), 0)
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
const changed = Math.max(...sources.filter(existsSync).map(newest), ...configs.map(newest))
if (built >= changed) process.exit(0)

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
if (!existsSync(tsc)) {
  if (built > 0) process.exit(0) // shipped build, sources touched but no compiler: run what was shipped
  console.error(
    'dist/ is missing and TypeScript is not installed (npm install --omit=dev?): run `npm run build` where dev ' +
      'dependencies are installed'
  )
  process.exit(1)
}
console.error('sources changed since the last build: compiling (tsc -p tsconfig.build.json)…')
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)
writeFileSync(stamp, new Date().toISOString() + '\n')
