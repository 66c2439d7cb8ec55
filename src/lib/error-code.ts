/**
 * The error code of a network or library error (ECONNREFUSED, UND_ERR_…), never its message: fetch
 * and undici messages can quote the URL with its credentials, so answers and logs carry only this.
 */
export function errorCode (err: unknown): string {
  for (
    let e = err as { code?: unknown, cause?: unknown } | undefined, depth = 0;
    e != null && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(e.code)) return e.code
  }
  return (err as Error | undefined)?.name === 'TypeError' ? 'invalid request' : 'no error code'
}
