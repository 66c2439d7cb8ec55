/* global location, localStorage, addEventListener */
// Calls to the service's API. The token is kept in localStorage, so every tab of this browser shares
// one prompt; a tab learns of a token given (or forgotten) in another through the storage event.
export const BASE = '/TestCloud/DevOps'
const TOKEN_KEY = 'testcloud.token'

export const getToken = () => { try { return localStorage.getItem(TOKEN_KEY) ?? '' } catch { return '' } }

// What the app shows about access: `needed` once an answer said credentials are missing or wrong
// (then nothing polls until a token is given), `version` moves whenever the token changes.
const auth = { needed: false, version: 0, code: null }
const listeners = new Set()
const notify = () => { for (const f of listeners) f({ ...auth }) }
export const authState = () => ({ ...auth })
export function onAuth (f) { listeners.add(f); return () => listeners.delete(f) }
/** True while the server wants a token this browser does not have: pages stop polling. */
export const authNeeded = () => auth.needed

function tokenChanged () {
  auth.needed = false
  auth.code = null
  auth.version++
  notify()
}

export function setToken (token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token)
    else localStorage.removeItem(TOKEN_KEY)
  } catch { /* storage off: nothing to share */ }
  tokenChanged()
}

// another tab gave or forgot the token: use it here too
addEventListener('storage', (e) => { if (e.key === TOKEN_KEY || e.key === null) tokenChanged() })

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
  if (!res.ok || json?.ErrorCode !== 1000) {
    const err = new ApiError(res.status, json)
    if (err.code === 1004 && !auth.needed) {
      auth.needed = true
      auth.code = 1004
      notify()
    }
    throw err
  }
  return json
}

export const get = (path, query) => call('GET', path, query)
export const post = (path, body) => call('POST', path, undefined, body)

// Who the token is (Token/whoami), asked once per token: the page hides what the role may not do.
let who = null
let whoVersion = -1
export async function whoami () {
  if (whoVersion !== auth.version || who == null) {
    whoVersion = auth.version
    who = get('/Token/whoami').catch((e) => { who = null; throw e })
  }
  return await who
}

const MAY = { read: ['read', 'trigger', 'admin'], trigger: ['trigger', 'admin'], admin: ['admin'] }
/** Whether a role may do what `access` needs ("trigger": start and cancel builds). */
export const may = (role, access) => role != null && MAY[access].includes(role)
