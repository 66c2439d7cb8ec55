import { type TProperties, type TSchema, Type } from '@sinclair/typebox'
import { STATUSES } from '../status.js'

// Jenkinsfiles build bodies by string interpolation, so integers may arrive as strings: "7" is
// accepted, "abc", "-1", "1.5" and "" are not. Ajv's own coercion is off (it would also turn
// true into 1), so these unions are the whole rule, and toInt() finishes the job in handlers.
const MAX_ID = 2147483647

export const IdSchema = (description: string) => Type.Union([
  Type.Integer({ minimum: 1, maximum: MAX_ID }),
  Type.String({ pattern: '^[1-9][0-9]{0,9}$' })
], { description: `${description} (an integer ≥ 1; a string of digits is accepted too)` })

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

export const StatusOutSchema = Type.Union(STATUSES.map((s) => Type.Literal(s)), { description: 'canonical status' })
export const StatusInSchema = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'a status: Queued, Running, Pass, Fail, Aborted, Unstable, Skipped, Paused, any case, or a synonym ' +
    '(pending, waiting, in_progress, started, building, passed, success, succeeded, ok, failed, failure, error, ' +
    'cancelled, canceled, not_executed, not_built, paused_pending_input)'
})

export const EpochOrNull = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description: `${description}, Unix epoch seconds, or null while unknown` })

export const Envelope = <P extends TProperties>(props: P) => Type.Object({
  ErrorCode: Type.Integer({ description: '1000 on success' }),
  Description: Type.String(),
  ...props
})

export const ErrorEnvelope = Type.Object({
  ErrorCode: Type.Integer({ description: 'see the error-code table' }),
  Description: Type.String({ description: 'what went wrong, naming the field where there is one' }),
  BuildIndex: Type.Optional(Type.Integer({ description: 'on 1007: the build that was recorded as Fail' }))
}, { $id: 'ErrorEnvelope', title: 'Error' })

/** The 200 answer plus the error envelope for every 4xx/5xx, for routes' `response`. */
export const responses = (ok: TSchema) => ({
  200: ok,
  '4xx': Type.Ref('ErrorEnvelope'),
  '5xx': Type.Ref('ErrorEnvelope')
})

export const OkEnvelope = Envelope({})

export const ok = <T extends object>(body: T): T & { ErrorCode: 1000, Description: string } =>
  ({ ErrorCode: 1000, Description: 'OK', ...body })
