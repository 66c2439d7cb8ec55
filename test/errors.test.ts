import t from 'tap'
import { apiError, ERRORS, ErrorCode, toEnvelope } from '../src/errors.js'
import { OPENAPI_INFO } from '../src/openapi-info.js'
import { responses, OkEnvelope } from '../src/schemas/common.js'

t.test('the error table: one entry per code, and ApiError takes its HTTP status from it', async (t) => {
  const codes = Object.values(ERRORS).map((e) => e.code)
  t.equal(new Set(codes).size, codes.length, 'no code twice')
  for (const [name, e] of Object.entries(ERRORS)) {
    t.equal(ErrorCode[name as keyof typeof ERRORS], e.code)
    if (name === 'OK') continue
    const { status, body } = toEnvelope(apiError(name as keyof typeof ERRORS, 'why'))
    t.same({ status, body }, { status: e.http, body: { ErrorCode: e.code, Description: 'why' } }, name)
  }
})

t.test('the OpenAPI info and the per-route responses say what the table says', async (t) => {
  for (const e of Object.values(ERRORS)) {
    t.match(OPENAPI_INFO.info.description, `| ${e.code} | ${e.http} | ${e.meaning} |`)
  }
  const r = responses(OkEnvelope, ['JenkinsFailed', 'Conflict']) as Record<string, { description?: string }>
  t.equal(r[String(ERRORS.JenkinsFailed.http)].description, `${ERRORS.JenkinsFailed.code}: ${ERRORS.JenkinsFailed.meaning}`)
  t.equal(r[String(ERRORS.Conflict.http)].description, `${ERRORS.Conflict.code}: ${ERRORS.Conflict.meaning}`)
})
