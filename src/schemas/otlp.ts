import { Type } from '@sinclair/typebox'
import { ErrorCode } from '../errors.js'
import { responses } from './common.js'

// The OTLP/HTTP receiver's routes (routes/otlp.ts): bodies are protobuf or OTLP/JSON, answers an
// empty Export…ServiceResponse in the request's encoding (opentelemetry-proto docs/specification.md).

/** 512 spans (the exporter's batch) with exception stack traces and parameter lists fit, before and after gzip */
export const OTLP_BODY_LIMIT = 16 * 1024 * 1024

const ResponseSchema = Type.Object({
  partialSuccess: Type.Optional(Type.Object({
    rejectedSpans: Type.Optional(Type.String()),
    errorMessage: Type.Optional(Type.String())
  }))
}, { description: 'an empty Export…ServiceResponse (full success) in the request\'s encoding: {} or no bytes' })

const body = (message: string) => ({
  content: {
    'application/x-protobuf': {
      schema: { description: `a binary ${message} (opentelemetry-proto v1.11.0), optionally gzip` }
    },
    'application/json': {
      schema: { type: 'object', description: `${message} in OTLP/JSON (hex ids, enums as numbers), optionally gzip` }
    }
  }
})

// fresh objects per route: a shared one would become a YAML anchor in openapi.yaml
const common = () => {
  const { 200: _ok, ...errors } = responses(Type.Object({}), ['InvalidParameter', 'NotFound', 'BodyTooLarge'])
  return { tags: ['Webhook'], response: { 200: ResponseSchema, ...errors } }
}

export const OtlpTraces = {
  ...common(),
  operationId: 'receiveOtlpTraces',
  summary: 'Receiver for Jenkins\' OpenTelemetry plugin (OTLP/HTTP traces)',
  description: 'Stage and parallel-branch spans become stage records (Source "otlp"), matched to a build by ' +
    'the trace id the service sent as traceparent on the trigger, else by the root span BUILD <job> ' +
    '(run URL, job and number, DevOpsPlanID/BuildIndex). ' +
    'A stage that already ended keeps its status. Spans of unknown runs are answered 200 and dropped. ' +
    'Needs WEBHOOK_TOKEN or a callback token as Authorization: Bearer. ' +
    `Bodies up to ${OTLP_BODY_LIMIT / 1024 / 1024} MiB, before and after Content-Encoding: gzip. ` +
    `Malformed input is 400 (${ErrorCode.InvalidParameter}), which the exporter does not retry.`,
  body: body('ExportTraceServiceRequest')
}

/** /v1/metrics and /v1/logs: accepted and dropped. */
export const otlpDropped = (signal: 'metrics' | 'logs') => ({
  ...common(),
  operationId: `receiveOtlp${signal[0].toUpperCase()}${signal.slice(1)}`,
  summary: `OTLP/HTTP ${signal}: accepted and dropped`,
  description: `Answers 200 without reading what it gets (set otel.${signal}.exporter=none in Jenkins to stop ` +
    'sending them). Same credentials and limits as /v1/traces.',
  body: body(`Export${signal === 'metrics' ? 'Metrics' : 'Logs'}ServiceRequest`)
})
