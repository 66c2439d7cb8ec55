import type { FastifyError } from 'fastify'
import { writeRefusal } from './lib/write-refusal.js'

/**
 * Every answer's ErrorCode: its number, its HTTP status and what it means. The one table: ApiError,
 * the OpenAPI info text (openapi-info.ts) and each route's error responses (schemas/common.ts) read it.
 */
export const ERRORS = {
  OK: { code: 1000, http: 200, meaning: 'OK (Description is "OK", or says what was ignored)' },
  InvalidParameter: {
    code: 1001,
    http: 400,
    meaning: 'invalid parameter: missing, wrong type, out of range, malformed JSON, unknown status; ' +
      'Description names the field. Also a route called with the wrong method (HTTP 405, Allow names the right one)'
  },
  NotFound: { code: 1002, http: 404, meaning: 'not found: product, plan, build, or route' },
  Conflict: {
    code: 1003,
    http: 409,
    meaning: 'conflict: a name that already exists under the same parent, a delete that would orphan children ' +
      '(the record has children), or a build that already ended'
  },
  Unauthorized: { code: 1004, http: 401, meaning: 'missing or wrong credentials' },
  Forbidden: { code: 1005, http: 403, meaning: 'credentials valid but not allowed for this action' },
  JenkinsNotConfigured: { code: 1006, http: 503, meaning: 'Jenkins is not configured on this server' },
  JenkinsFailed: {
    code: 1007,
    http: 502,
    meaning: 'Jenkins rejected or did not answer (unknown job, auth, timeout); Description says which; on Build/add, ' +
      'BuildIndex names the build kept as Fail'
  },
  BodyTooLarge: { code: 1008, http: 413, meaning: 'body over 1 MiB (OTLP receiver: 16 MiB, before and after gzip)' },
  RateLimited: { code: 1009, http: 429, meaning: 'too many requests; Retry-After says when' },
  DatabaseUnavailable: {
    code: 1010,
    http: 503,
    meaning: 'the service cannot take this request now: the database is unreachable or cannot write (disk full, ' +
      'read-only; Description names the cause), or (event stream) this server holds as many open streams as it ' +
      'allows; retry later'
  },
  Internal: { code: 1099, http: 500, meaning: 'internal error (never for bad input)' }
} as const
export type ErrorName = keyof typeof ERRORS

/** Every answer's shape: ErrorCode and Description, then the answer's own fields. */
export interface Envelope { ErrorCode: number, Description: string, [field: string]: unknown }

/** ErrorCode.X is the number of ERRORS.X. */
export const ErrorCode = Object.fromEntries(Object.entries(ERRORS).map(([name, e]) => [name, e.code])) as
  { readonly [K in ErrorName]: typeof ERRORS[K]['code'] }
export type ErrorCodeValue = typeof ErrorCode[ErrorName]

/** An error a client is meant to see: the envelope's ErrorCode, its HTTP status (from the table) and a Description. */
export class ApiError extends Error {
  readonly errorCode: ErrorCodeValue
  readonly statusCode: number

  constructor (readonly errorName: ErrorName, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message)
    this.errorCode = ERRORS[errorName].code
    this.statusCode = ERRORS[errorName].http
  }
}

/** Shorthand: `throw apiError('JenkinsFailed', reason)`. */
export const apiError = (name: ErrorName, message: string, extra?: Record<string, unknown>): ApiError =>
  new ApiError(name, message, extra)
export const invalid = (message: string) => apiError('InvalidParameter', message)
export const notFound = (what: string) => apiError('NotFound', `${what} not found`)
export const conflict = (message: string) => apiError('Conflict', message)

// Driver errors meaning "the database is not there right now", as opposed to a bug in a query.
const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL'])

export function isDatabaseDown (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (DB_DOWN_CODES.has(code) || code.startsWith('SQLITE_IOERR'))
}

const answer = (name: ErrorName, Description: string): { status: number, body: Envelope } =>
  ({ status: ERRORS[name].http, body: { ErrorCode: ERRORS[name].code, Description } })

export function toEnvelope (err: FastifyError | ApiError | Error): { status: number, body: Envelope } {
  if (err instanceof ApiError) {
    return { status: err.statusCode, body: { ErrorCode: err.errorCode, Description: err.message, ...err.extra } }
  }
  const fe = err as FastifyError
  if (fe.validation) {
    return answer('InvalidParameter', describeValidation(fe))
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return answer('BodyTooLarge', 'request body is larger than 1 MiB')
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return answer('InvalidParameter', 'Content-Type must be application/json')
  }
  if (fe.code?.startsWith('FST_ERR_CTP_') || (fe.statusCode === 400 && err instanceof SyntaxError)) {
    return answer('InvalidParameter', `body: ${fe.message}`)
  }
  const refusal = writeRefusal(err)
  if (refusal != null) {
    return answer('DatabaseUnavailable',
      `the database cannot write: ${refusal}; nothing was changed, retry once it can`)
  }
  if (isDatabaseDown(err)) {
    return answer('DatabaseUnavailable', 'database unavailable, retry later')
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { ErrorCode: ErrorCode.InvalidParameter, Description: fe.message } }
  }
  return answer('Internal', 'internal error')
}

interface IntSchema { type?: string, minimum?: number, maximum?: number, anyOf?: IntSchema[] }

// An integer field's rule in words, from its schema (Ajv's verbose errors carry it): "must be an integer ≥ 1".
function integerRule (schema: IntSchema | undefined): string | undefined {
  const int = schema?.type === 'integer' ? schema : schema?.anyOf?.find((s) => s.type === 'integer')
  if (int == null) return undefined
  if (int.minimum != null && int.maximum != null && int.maximum < 2147483647) {
    return `must be an integer between ${int.minimum} and ${int.maximum}`
  }
  if (int.minimum != null) return `must be an integer ≥ ${int.minimum}`
  return 'must be an integer'
}

// "body/DevOpsPlanID must be an integer ≥ 1" style: the field first, so an integrator sees what to fix.
function describeValidation (err: FastifyError): string {
  const v = err.validation?.[0]
  if (v == null) return err.message
  const where = err.validationContext ?? 'request'
  const missing = (v.params as { missingProperty?: string }).missingProperty
  if (missing != null) return `${where}${v.instancePath}/${missing} is required`
  // an integer-or-digits union reports its first branch ("must be integer"); say the range instead
  const union = err.validation?.find((e) => e.keyword === 'anyOf' && e.instancePath === v.instancePath)
  const own = ['type', 'minimum', 'maximum'].includes(v.keyword) ? v : undefined
  const schema = (union ?? own) as { parentSchema?: IntSchema } | undefined
  const rule = integerRule(schema?.parentSchema)
  return `${where}${v.instancePath} ${rule ?? v.message ?? 'is invalid'}`
}
