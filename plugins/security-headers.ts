import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../src/lib/root.js'

/**
 * The hashes of index.html's inline <script>s (its import map): the one inline script the
 * dashboard's CSP allows, computed from the file served, so editing the map cannot break the page.
 */
export function inlineScriptHashes (html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1].trim() !== '')
    .map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`)
}

/** Pages a browser shows: the dashboard (/ and /ui/*) and the API docs (/docs, /docs/*). */
export const isPage = (url: string): boolean => url === '/' || url.startsWith('/ui/') || url === '/docs' || url.startsWith('/docs/')

// Security headers on the pages (helmet's set): a CSP with no inline script but the dashboard's
// import map (by hash), no plugins, no framing (clickjacking a "Rebuild" or "Start" in open mode),
// nosniff and Referrer-Policy no-referrer. Inline style attributes stay allowed: the stage graph and
// the timeline position elements with them, and Swagger UI styles its own. Not on API answers (JSON,
// never rendered), so they cost no per-request work. No HSTS: the proxy that terminates TLS decides.
export default fp(async function securityHeaders (fastify) {
  const html = readFileSync(join(ROOT, 'web', 'index.html'), 'utf8')
  await fastify.register(helmet, {
    global: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'", ...inlineScriptHashes(html)],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"]
      }
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false
  })
  fastify.addHook('onRoute', (route) => {
    // the route's own helmet settings: the global ones above (helmet applies nothing to routes without)
    if (isPage(route.url)) route.config = { ...(route.config ?? {}), helmet: {} } as typeof route.config
  })
}, { name: 'security-headers' })
