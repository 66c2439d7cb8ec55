import { createHash, timingSafeEqual } from 'node:crypto'

/** Constant-time comparison of two secrets (hashed first, so lengths never leak). */
export function sameSecret (given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** A URL fit for logs: the value of any token-like query parameter replaced. */
export function redactUrl (url: string): string {
  return url.replace(/([?&](?:token|access_token|api_key)=)[^&#]*/gi, '$1[REDACTED]')
}
