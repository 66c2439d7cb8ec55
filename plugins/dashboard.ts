import compress from '@fastify/compress'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative } from 'node:path'
import { ROOT } from '../src/lib/root.js'

export const WEB_DIR = join(ROOT, 'web')

// Resolved through Node's own resolution, so it finds node_modules from src/ as from dist/.
const require = createRequire(import.meta.url)
const near = (spec: string, file: string) => join(dirname(require.resolve(spec)), file)

/**
 * Browser ES modules of the libraries, served as /ui/vendor/<name>. The dashboard imports them by
 * these paths: an import map would be an inline script, which the dashboard's CSP does not allow.
 */
export const VENDOR: Record<string, string> = {
  'preact.mjs': require.resolve('preact'),
  'hooks.mjs': require.resolve('preact/hooks'),
  // htm's "require" entry is CommonJS; its ES module sits next to it
  'htm.mjs': near('htm', 'htm.module.js'),
  // the ESM build of dagre bundles graphlib and imports nothing
  'dagre.mjs': near('@dagrejs/dagre', 'dagre.esm.js'),
  // the insights page's charts
  'uplot.mjs': near('uplot', 'uPlot.esm.js')
}
/** Their stylesheets, as /ui/vendor/<name>. */
export const VENDOR_CSS: Record<string, string> = { 'uplot.css': near('uplot', 'uPlot.min.css') }

/** A library's source with its bare imports of the others ("preact") pointed at their /ui/vendor/ paths. */
export function vendorSource (file: string): string {
  return readFileSync(file, 'utf8').replace(/(\bfrom\s*|\bimport\s*\(?\s*)(["'])(preact|preact\/hooks|htm)\2/g,
    (_m, lead: string, q: string, spec: string) => `${lead}${q}/ui/vendor/${({ preact: 'preact.mjs', 'preact/hooks': 'hooks.mjs', htm: 'htm.mjs' } as Record<string, string>)[spec]}${q}`)
}

// loaded on demand (the build page's graph, the insights page's charts): not worth a cold load of the home page
const LAZY = new Set(['graph.js', 'pages/insights.js'])

/**
 * <link rel="modulepreload"> for every module of the dashboard and the libraries it imports at once:
 * the browser then fetches them in one round instead of one round per level of imports (five deep).
 */
export function preloadLinks (): string {
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (f.endsWith('.js') && !LAZY.has(relative(WEB_DIR, p))) files.push(relative(WEB_DIR, p).split('\\').join('/'))
    }
  }
  walk(WEB_DIR)
  const urls = [...['preact.mjs', 'hooks.mjs', 'htm.mjs'].map((v) => `/ui/vendor/${v}`), ...files.map((f) => `/ui/${f}`)]
  return urls.map((u) => `  <link rel="modulepreload" href="${u}">`).join('\n')
}

// The dashboard: static files, no build step. Open like /docs; the API calls it makes carry the token.
export default fp(async function dashboard (fastify) {
  // Its own scope: compression applies to the pages and their files only. @fastify/compress rather
  // than @fastify/static's preCompressed: that serves .br/.gz files written beside each file by a
  // build step, which this project does not have (and the libraries live in node_modules). A cold
  // load is a few dozen small files, compressed per request at brotli quality 4 (well under 1 ms each).
  await fastify.register(async (ui) => {
    await ui.register(compress, { global: true, threshold: 512 })
    await ui.register(fastifyStatic, { root: WEB_DIR, prefix: '/ui/', index: false, maxAge: 0 })

    const vendor = new Map(Object.entries(VENDOR).map(([name, file]) => [name, vendorSource(file)]))
    for (const [name, source] of vendor) {
      ui.get(`/ui/vendor/${name}`, { schema: { hide: true } }, (_req, reply) =>
        reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=0').send(source))
    }

    for (const [name, file] of Object.entries(VENDOR_CSS)) {
      ui.get(`/ui/vendor/${name}`, { schema: { hide: true } }, (_req, reply) =>
        reply.type('text/css; charset=utf-8').sendFile(basename(file), dirname(file)))
    }

    const indexHtml = readFileSync(join(WEB_DIR, 'index.html'), 'utf8').replace('  <!-- modulepreload -->', preloadLinks())
    ui.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml))
    // browsers ask for it whatever the page names: the neutral icon, not a 404
    ui.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(readFileSync(join(WEB_DIR, 'favicon', 'default.svg'))))
  })
}, { name: 'dashboard' })
