import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { ROOT } from '../src/lib/root.js'

export const WEB_DIR = join(ROOT, 'web')

// Resolved through Node's own resolution, so it finds node_modules from src/ as from dist/.
const require = createRequire(import.meta.url)
const near = (spec: string, file: string) => join(dirname(require.resolve(spec)), file)

/** Browser ES modules of the libraries, served as /ui/vendor/<name>; the import map in index.html points here. */
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

// The dashboard: static files, no build step. Open like /docs; the API calls it makes carry the token.
export default fp(async function dashboard (fastify) {
  await fastify.register(fastifyStatic, { root: WEB_DIR, prefix: '/ui/', index: false, maxAge: 0 })

  for (const [name, file] of Object.entries(VENDOR)) {
    fastify.get(`/ui/vendor/${name}`, { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').sendFile(basename(file), dirname(file)))
  }

  for (const [name, file] of Object.entries(VENDOR_CSS)) {
    fastify.get(`/ui/vendor/${name}`, { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/css; charset=utf-8').sendFile(basename(file), dirname(file)))
  }

  const indexHtml = readFileSync(join(WEB_DIR, 'index.html'), 'utf8')
  fastify.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml))
}, { name: 'dashboard' })
