import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/** Pages a browser shows: the dashboard (/ and /ui/*) and the API docs (/docs, /docs/*). */
export const isPage = (url: string): boolean =>
  url === '/' || url.startsWith('/ui/') || url === '/docs' || url.startsWith('/docs/')

// Security headers on the pages (helmet's set): a CSP with scripts from this server only (no inline
// script: web/index.html has none), no plugins, no framing (clickjacking a "Rebuild" or "Start" in open mode),
// nosniff and Referrer-Policy no-referrer. Inline style attributes stay allowed: the stage graph and
// the timeline position elements with them, and Swagger UI styles its own. Not on API answers (JSON,
// never rendered), so they cost no per-request work. No HSTS: the proxy that terminates TLS decides.
export default fp(async function securityHeaders (fastify) {
  await fastify.register(helmet, {
    global: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
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
