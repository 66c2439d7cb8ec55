import { type TObject, type TProperties, type TSchema, type TUnsafe, Type } from '@sinclair/typebox'
import { type Status, STATUSES, SYNONYM_WORDS } from '../status.js'
import { ERRORS, ErrorCode, type ErrorName } from '../errors.js'

const byCode = (code: number): ErrorName =>
  (Object.keys(ERRORS) as ErrorName[]).find((n) => ERRORS[n].code === code) as ErrorName

/** Marks the schemas IntLike() makes, so that plugins/int-like.ts finds the fields to turn into numbers. */
export const INT_LIKE = Symbol.for('testcloud.int-like')

/**
 * An integer that may also arrive as the string of its digits, because Jenkinsfiles build bodies and
 * query strings by interpolation: "7" is accepted, "abc", "-1", "1.5" and "" are not. `digits` is
 * the pattern such a string must match (kept beside the integer's range, since it is part of the
 * published contract). Ajv's own coercion stays off (it would also turn true into 1); once a request
 * is valid, plugins/int-like.ts turns these strings into numbers, so handlers always see a number.
 */
export function IntLike (
  range: { minimum: number, maximum?: number },
  digits: string,
  description: string
): TUnsafe<number> {
  const union = Type.Union([Type.Integer(range), Type.String({ pattern: digits })], { description })
  return Type.Unsafe<number>({ ...union, [INT_LIKE]: true })
}

const MAX_ID = 2147483647

export const IdSchema = (description: string) => IntLike({ minimum: 1, maximum: MAX_ID }, '^[1-9][0-9]{0,9}$',
  `${description} (an integer ≥ 1; a string of digits is accepted too)`)

export const PlanIdSchema = IdSchema('the DevOps plan')
export const BuildIndexSchema = IdSchema('the build, numbered 1, 2, 3… per plan')

export const EpochSchema = (description: string) =>
  IntLike({ minimum: 0, maximum: 99999999999 }, '^[0-9]{1,11}$', `${description}, Unix epoch seconds`)

/** A page size of 1–500 items. */
export const PageSizeSchema = (description: string) =>
  IntLike({ minimum: 1, maximum: 500 }, '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description)

export const NameSchema = (description: string, maxLength = 128) => Type.String({
  minLength: 1,
  maxLength,
  pattern: '\\S',
  description: `${description}: 1–${maxLength} characters, trimmed`
})

/** Names are trimmed; the schema already refused empty and blank ones. */
export const cleanName = (s: string): string => s.trim()

export const StatusOutSchema = Type.Unsafe<Status>({
  type: 'string',
  enum: [...STATUSES],
  description: 'canonical status'
})
export const StatusInSchema = Type.String({
  minLength: 1,
  maxLength: 32,
  description: `a status: ${STATUSES.join(', ')}, any case, or a synonym (${SYNONYM_WORDS.join(', ')})`
})

export const EpochOrNull = (description: string) =>
  Type.Union([Type.Integer(), Type.Null()], {
    description: `${description}, Unix epoch seconds, or null while unknown`
  })

export const EnvelopeSchema = <P extends TProperties>(
  props: P,
  description = 'OK',
  example?: Record<string, unknown>
) =>
    Type.Object(
      {
        ErrorCode: Type.Integer({ enum: [ErrorCode.OK] }),
        Description: Type.String({ description: '"OK", or what was ignored' }),
        ...props
      },
      {
        description,
        ...(example == null ? {} : { examples: [{ ErrorCode: ErrorCode.OK, Description: 'OK', ...example }] })
      }
    )

// Every API route can meet these: a repeated query key, credentials, the rate limit, a database outage, a bug.
const ALWAYS: ErrorName[] = [
  'InvalidParameter',
  'Unauthorized',
  'Forbidden',
  'RateLimited',
  'DatabaseUnavailable',
  'Internal'
]

/** The 200 answer plus one error envelope per HTTP status the route can answer, listing its ErrorCodes. */
/** Every answer has an ETag; a request whose If-None-Match equals it gets 304 with no body. */
export const NotModifiedSchema = Type.Null({
  description: 'Not Modified: the ETag sent in If-None-Match is still current (no body)'
})

export function responses (ok: TObject, errors: ErrorName[] = []): Record<string, TSchema> {
  const byHttp = new Map<number, number[]>()
  for (const code of [...new Set([...ALWAYS, ...errors].map((name) => ERRORS[name].code))].sort()) {
    const { http } = ERRORS[byCode(code)]
    byHttp.set(http, [...(byHttp.get(http) ?? []), code])
  }
  const out: Record<string, TSchema> = { 200: ok, 304: NotModifiedSchema }
  for (const [http, list] of byHttp) {
    out[http] = Type.Object(
      {
        ErrorCode: Type.Integer({ enum: list }),
        Description: Type.String({ description: 'what went wrong, naming the field where there is one' }),
        ...(list.includes(ErrorCode.JenkinsFailed)
          ? { BuildIndex: Type.Optional(Type.Integer({ description: 'the build recorded as Fail' })) }
          : {})
      },
      { description: list.map((c) => `${c}: ${ERRORS[byCode(c)].meaning}`).join('; ') }
    )
  }
  return out
}

/** Any answer, success or error: ErrorCode, Description, and the fields the route adds. */
export const AnyEnvelopeSchema = Type.Object(
  { ErrorCode: Type.Integer(), Description: Type.String() },
  { additionalProperties: true }
)
export type { Envelope } from '../errors.js'

export const OkEnvelope = EnvelopeSchema({}, 'OK')

export const ok = <T extends object>(body: T): T & { ErrorCode: typeof ErrorCode.OK, Description: string } =>
  ({ ErrorCode: ErrorCode.OK, Description: 'OK', ...body })
