import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox'
import { type Status, STATUSES, SYNONYM_WORDS } from '../status.js'
import { ERRORS, ErrorCode, type ErrorName } from '../errors.js'

const byCode = (code: number): ErrorName => (Object.keys(ERRORS) as ErrorName[]).find((n) => ERRORS[n].code === code) as ErrorName

// Jenkinsfiles build bodies by string interpolation, so integers may arrive as strings: "7" is
// accepted, "abc", "-1", "1.5" and "" are not. Ajv's own coercion is off (it would also turn
// true into 1), so these unions are the whole rule, and toInt() finishes the job in handlers.
const MAX_ID = 2147483647

export const IdSchema = (description: string) => Type.Union([
  Type.Integer({ minimum: 1, maximum: MAX_ID }),
  Type.String({ pattern: '^[1-9][0-9]{0,9}$' })
], { description: `${description} (an integer ≥ 1; a string of digits is accepted too)` })

export const PlanIdSchema = IdSchema('the DevOps plan')
export const BuildIndexSchema = IdSchema('the build, numbered 1, 2, 3… per plan')

export const EpochSchema = (description: string) => Type.Union([
  Type.Integer({ minimum: 0, maximum: 99999999999 }),
  Type.String({ pattern: '^[0-9]{1,11}$' })
], { description: `${description}, Unix epoch seconds` })

export const toInt = (v: number | string): number => typeof v === 'number' ? v : Number(v)

export const NameSchema = (description: string, maxLength = 128) => Type.String({
  minLength: 1,
  maxLength,
  pattern: '\\S',
  description: `${description}: 1–${maxLength} characters, trimmed; stored and compared exactly`
})

/** Names are trimmed; the schema already refused empty and blank ones. */
export const cleanName = (s: string): string => s.trim()

export const StatusOutSchema = Type.Unsafe<Status>({ type: 'string', enum: [...STATUSES], description: 'canonical status' })
export const StatusInSchema = Type.String({
  minLength: 1,
  maxLength: 32,
  description: `a status: ${STATUSES.join(', ')}, any case, or a synonym (${SYNONYM_WORDS.join(', ')})`
})

export const EpochOrNull = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description: `${description}, Unix epoch seconds, or null while unknown` })

export const EnvelopeSchema = <P extends TProperties>(props: P, description = 'OK', example?: Record<string, unknown>) => Type.Object({
  ErrorCode: Type.Integer({ enum: [ErrorCode.OK] }),
  Description: Type.String({ description: '"OK", or what was ignored' }),
  ...props
}, { description, ...(example == null ? {} : { examples: [{ ErrorCode: ErrorCode.OK, Description: 'OK', ...example }] }) })

// Every API route can meet these: a repeated query key, credentials, the rate limit, a database outage, a bug.
const ALWAYS: ErrorName[] = ['InvalidParameter', 'Unauthorized', 'Forbidden', 'RateLimited', 'DatabaseUnavailable', 'Internal']

/** The 200 answer plus one error envelope per HTTP status the route can answer, listing its ErrorCodes. */
/** Every answer has an ETag; a request whose If-None-Match equals it gets 304 with no body. */
export const NotModifiedSchema = Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is still current (no body)' })

export function responses (ok: TObject, errors: ErrorName[] = []): Record<string, TSchema> {
  const byHttp = new Map<number, number[]>()
  for (const code of [...new Set([...ALWAYS, ...errors].map((name) => ERRORS[name].code))].sort()) {
    const { http } = ERRORS[byCode(code)]
    byHttp.set(http, [...(byHttp.get(http) ?? []), code])
  }
  const out: Record<string, TSchema> = { 200: ok, 304: NotModifiedSchema }
  for (const [http, list] of byHttp) {
    out[http] = Type.Object({
      ErrorCode: Type.Integer({ enum: list }),
      Description: Type.String({ description: 'what went wrong, naming the field where there is one' }),
      ...(list.includes(ErrorCode.JenkinsFailed) ? { BuildIndex: Type.Optional(Type.Integer({ description: 'the build recorded as Fail' })) } : {})
    }, { description: list.map((c) => `${c}: ${ERRORS[byCode(c)].meaning}`).join('; ') })
  }
  return out
}

/** Any answer, success or error: ErrorCode, Description, and the fields the route adds. */
export const AnyEnvelopeSchema = Type.Object({ ErrorCode: Type.Integer(), Description: Type.String() }, { additionalProperties: true })
export type { Envelope } from '../errors.js'

export const OkEnvelope = EnvelopeSchema({}, 'OK')

/** The content type of an answer sent as a ready JSON string (cached answers). */
export const JSON_UTF8 = 'application/json; charset=utf-8'

export const ok = <T extends object>(body: T): T & { ErrorCode: typeof ErrorCode.OK, Description: string } =>
  ({ ErrorCode: ErrorCode.OK, Description: 'OK', ...body })
