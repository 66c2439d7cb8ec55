import type { FastifyError } from 'fastify'

export const ErrorCode = {
  OK: 1000,
  InvalidParameter: 1001,
  NotFound: 1002,
  Conflict: 1003,
  Unauthorized: 1004,
  Forbidden: 1005,
  JenkinsNotConfigured: 1006,
  JenkinsFailed: 1007,
  BodyTooLarge: 1008,
  RateLimited: 1009,
  DatabaseUnavailable: 1010,
  Internal: 1099
} as const
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode]

/** An error a client is meant to see: the envelope's ErrorCode, its HTTP status and a Description. */
export class ApiError extends Error {
  constructor (readonly errorCode: ErrorCodeValue, readonly statusCode: number, message: string,
    readonly extra: Record<string, unknown> = {}) {
    super(message)
  }
}

export const invalid = (message: string) => new ApiError(ErrorCode.InvalidParameter, 400, message)
export const notFound = (what: string) => new ApiError(ErrorCode.NotFound, 404, `${what} not found`)
export const conflict = (message: string) => new ApiError(ErrorCode.Conflict, 409, message)

export interface Envelope { ErrorCode: number, Description: string, [k: string]: unknown }

// Driver errors meaning "the database is not there right now", as opposed to a bug in a query.
const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'SQLITE_BUSY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL'])

export function isDatabaseDown (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (DB_DOWN_CODES.has(code) || code.startsWith('SQLITE_IOERR'))
}

export function toEnvelope (err: FastifyError | ApiError | Error): { status: number, body: Envelope } {
  if (err instanceof ApiError) {
    return { status: err.statusCode, body: { ErrorCode: err.errorCode, Description: err.message, ...err.extra } }
  }
  const fe = err as FastifyError
  if (fe.validation) {
    return { status: 400, body: { ErrorCode: ErrorCode.InvalidParameter, Description: describeValidation(fe) } }
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: { ErrorCode: ErrorCode.BodyTooLarge, Description: 'request body is larger than 1 MiB' } }
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 400, body: { ErrorCode: ErrorCode.InvalidParameter, Description: 'Content-Type must be application/json' } }
  }
  if (fe.code?.startsWith('FST_ERR_CTP_') || (fe.statusCode === 400 && err instanceof SyntaxError)) {
    return { status: 400, body: { ErrorCode: ErrorCode.InvalidParameter, Description: `body: ${fe.message}` } }
  }
  if (isDatabaseDown(err)) {
    return { status: 503, body: { ErrorCode: ErrorCode.DatabaseUnavailable, Description: 'database unavailable, retry later' } }
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { ErrorCode: ErrorCode.InvalidParameter, Description: fe.message } }
  }
  return { status: 500, body: { ErrorCode: ErrorCode.Internal, Description: 'internal error' } }
}

// "body/DevOpsPlanID must be integer" style: the field first, so an integrator sees what to fix.
function describeValidation (err: FastifyError): string {
  const v = err.validation?.[0]
  if (v == null) return err.message
  const where = err.validationContext ?? 'request'
  const missing = (v.params as { missingProperty?: string }).missingProperty
  if (missing != null) return `${where}${v.instancePath}/${missing} is required`
  return `${where}${v.instancePath} ${v.message ?? 'is invalid'}`
}
