import type { IncomingHttpHeaders } from 'node:http'

/**
 * Tokens are `tc_` and 43 characters; anything longer than this is refused before any lookup or
 * hashing, so junk tokens cost neither a query nor memory.
 */
export const MAX_TOKEN_LENGTH = 256

/** What a token is read from: a request's headers and, where allowed, its query string. */
export interface TokenSource {
  headers: IncomingHttpHeaders
  query?: unknown
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, else `X-TestCloud-Token: <token>`,
 * else (only with allowQuery: the webhook, since the Notification plugin cannot set headers) `?token=`.
 * Empty or blank values count as absent, so every reader sees the same token for the same request.
 */
export function tokenFrom (
  request: TokenSource,
  opts: { allowQuery?: boolean, allowAccessToken?: boolean } = {}
): string | undefined {
  const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
  if (bearer != null) return bearer
  const header = request.headers['x-testcloud-token']
  if (typeof header === 'string' && header.trim() !== '') return header.trim()
  // the event stream only: a browser's EventSource cannot set headers, so it sends ?access_token=
  if (opts.allowAccessToken === true) {
    const access = (request.query as { access_token?: unknown } | undefined)?.access_token
    if (typeof access === 'string' && access.trim() !== '') return access.trim()
  }
  if (opts.allowQuery !== true) return undefined
  const query = (request.query as { token?: unknown } | undefined)?.token
  return typeof query === 'string' && query.trim() !== '' ? query.trim() : undefined
}
