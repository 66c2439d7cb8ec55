import { createHash, timingSafeEqual } from 'node:crypto'

/** Constant-time comparison of two secrets (hashed first, so lengths never leak). */
export function sameSecret (given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

const SECRET_KEYS = new Set(['token', 'access_token', 'api_key'])

const decoded = (s: string): string => {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')) } catch { return s }
}

/**
 * A URL fit for logs: the value of any token-like query parameter replaced, wherever it stands
 * (`?src=ci&token=…`) and however its key is spelt (`?%74oken=…`, `?TOKEN=…`, ` token`), as the
 * server decodes keys the same way before reading them.
 */
export function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const hash = url.indexOf('#', q)
  const query = url.slice(q + 1, hash < 0 ? undefined : hash)
  const masked = query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    return SECRET_KEYS.has(decoded(key).trim().toLowerCase()) ? `${key}=[REDACTED]` : pair
  }).join('&')
  return url.slice(0, q + 1) + masked + (hash < 0 ? '' : url.slice(hash))
}
