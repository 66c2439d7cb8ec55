/* global location */
// Calls to the service's API; the token (if any) is kept in sessionStorage and sent as Bearer.
export const BASE = '/TestCloud/DevOps'
const TOKEN_KEY = 'testcloud.token'

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? ''
export function setToken (token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.Description ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.ErrorCode
  }
}

async function call (method, path, query, body) {
  const url = new URL(BASE + path, location.origin)
  for (const [k, v] of Object.entries(query ?? {})) if (v != null && v !== '') url.searchParams.set(k, String(v))
  const headers = { accept: 'application/json' }
  const token = getToken()
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  // no-cache: always revalidated with the ETag, so an unchanged answer is a bodiless 304
  const res = await fetch(url, { method, headers, cache: 'no-cache', body: body === undefined ? undefined : JSON.stringify(body) })
  let json = null
  try { json = await res.json() } catch { /* not JSON: reported by status below */ }
  if (!res.ok || json?.ErrorCode !== 1000) throw new ApiError(res.status, json)
  return json
}

export const get = (path, query) => call('GET', path, query)
export const post = (path, body) => call('POST', path, undefined, body)
