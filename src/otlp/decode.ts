import { createRequire } from 'node:module'
import { isAbsolute, join } from 'node:path'
import type protobuf from 'protobufjs'
import { ROOT } from '../lib/root.js'

// OTLP/HTTP trace exports (opentelemetry-proto docs/specification.md, "OTLP/HTTP"): the binary
// protobuf encoding Jenkins' OpenTelemetry plugin sends, and the JSON encoding (ids in hex, enums
// as numbers, 64-bit integers as strings or numbers) a Collector or a test sends. Both are read
// with the official definitions vendored in ./proto (see its README), loaded once, on first use.

/** An attribute value as OTLP's AnyValue carries it (bytes and key-value lists are not needed here). */
export type AttributeValue = string | number | boolean | AttributeValue[] | null

/** One span, reduced to what the receiver reads. Times are epoch ms (nanoseconds ÷ 10⁶, floored). */
export interface OtlpSpan {
  /** 32 lowercase hex digits */
  traceId: string
  /** 16 lowercase hex digits */
  spanId: string
  /** '' for a root span */
  parentSpanId: string
  name: string
  /** SpanKind: 1 INTERNAL, 2 SERVER… */
  kind: number
  startMs: number
  endMs: number
  attributes: Record<string, AttributeValue>
  /** Status.code: 0 UNSET, 1 OK, 2 ERROR */
  statusCode: number
  statusMessage: string
}

/** The body is not an ExportTraceServiceRequest: answered 400 (not retried by the exporter). */
export class OtlpDecodeError extends Error {}

const PROTO_DIR = join(ROOT, 'src', 'otlp', 'proto')
let requestType: protobuf.Type | undefined

/** The ExportTraceServiceRequest message type, loaded once (the test double encodes with it too). */
export function exportRequest (): protobuf.Type {
  if (requestType != null) return requestType
  // required on first use: a server that receives no OTLP never loads protobufjs (~15 ms at start-up)
  const { Root } = createRequire(import.meta.url)('protobufjs') as typeof protobuf
  const root = new Root()
  // imports name files relative to the definitions' root ("opentelemetry/proto/common/v1/common.proto")
  root.resolvePath = (_origin, target) => isAbsolute(target) ? target : join(PROTO_DIR, target)
  root.loadSync(join(PROTO_DIR, 'opentelemetry/proto/collector/trace/v1/trace_service.proto'))
  requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
  return requestType
}

/** The empty ExportTraceServiceResponse (full success) in the request's encoding. */
export function emptyResponse (encoding: 'protobuf' | 'json'): Buffer | string {
  // every field unset: zero bytes in protobuf, {} in JSON
  return encoding === 'protobuf' ? Buffer.alloc(0) : '{}'
}

/** Decodes a binary ExportTraceServiceRequest. */
export function decodeProtobuf (body: Buffer): OtlpSpan[] {
  let message: protobuf.Message
  try {
    message = exportRequest().decode(body)
  } catch (err) {
    throw new OtlpDecodeError(`not an OTLP ExportTraceServiceRequest in protobuf: ${(err as Error).message}`)
  }
  return spansOf(message as unknown as RawRequest)
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (already parsed JSON). */
export function decodeJson (body: unknown): OtlpSpan[] {
  if (body == null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OtlpDecodeError('not an OTLP ExportTraceServiceRequest: a JSON object is expected')
  }
  let message: protobuf.Message
  try {
    message = exportRequest().fromObject(hexIdsToBytes(body as Record<string, unknown>))
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err
    throw new OtlpDecodeError(`not an OTLP ExportTraceServiceRequest in JSON: ${(err as Error).message}`)
  }
  return spansOf(message as unknown as RawRequest)
}

// ---- the decoded message, as protobufjs gives it (camelCase fields, Long or number for 64-bit) ----

interface LongLike { toString: () => string }
interface RawValue {
  /** protobufjs' virtual oneof field: the name of the member that is set */
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue'
  stringValue?: string,
  boolValue?: boolean,
  intValue?: number | LongLike,
  doubleValue?: number,
  arrayValue?: { values?: RawValue[] }
}
interface RawSpan {
  traceId?: Uint8Array,
  spanId?: Uint8Array,
  parentSpanId?: Uint8Array,
  name?: string,
  kind?: number,
  startTimeUnixNano?: number | LongLike,
  endTimeUnixNano?: number | LongLike,
  attributes?: Array<{ key?: string, value?: RawValue }>,
  status?: { code?: number, message?: string }
}
interface RawRequest { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: RawSpan[] }> }> }

function spansOf (request: RawRequest): OtlpSpan[] {
  const out: OtlpSpan[] = []
  for (const rs of request.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const attributes: Record<string, AttributeValue> = {}
        for (const a of s.attributes ?? []) if (a.key != null) attributes[a.key] = valueOf(a.value)
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startMs: millis(s.startTimeUnixNano),
          endMs: millis(s.endTimeUnixNano),
          attributes,
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? ''
        })
      }
    }
  }
  return out
}

function valueOf (v: RawValue | undefined): AttributeValue {
  // unset members read as their defaults: only the oneof's chosen member counts
  switch (v?.value) {
    case 'stringValue': return v.stringValue ?? ''
    case 'boolValue': return v.boolValue ?? false
    case 'intValue': return typeof v.intValue === 'number' ? v.intValue : Number(v.intValue?.toString() ?? 0)
    case 'doubleValue': return v.doubleValue ?? 0
    case 'arrayValue': return (v.arrayValue?.values ?? []).map(valueOf)
    default: return null
  }
}

function hex (bytes: Uint8Array | undefined): string {
  if (bytes == null || bytes.length === 0) return ''
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function millis (nanos: number | LongLike | undefined): number {
  if (nanos == null) return 0
  if (typeof nanos === 'number') return Math.floor(nanos / 1e6)
  return Number(BigInt(nanos.toString()) / 1_000_000n)
}

const ID_FIELDS = ['traceId', 'spanId', 'parentSpanId'] as const
const ID_LENGTH = { traceId: 32, spanId: 16, parentSpanId: 16 }

/**
 * OTLP/JSON writes trace and span ids in hex, where the proto3 JSON mapping (protobufjs' fromObject)
 * expects base64: they become bytes first. Everything else is left to fromObject.
 */
function hexIdsToBytes (body: Record<string, unknown>): Record<string, unknown> {
  // a field of the wrong type is left as it is: fromObject then names it
  const list = (v: unknown, f: (x: unknown) => unknown): unknown => Array.isArray(v) ? v.map(f) : v
  return {
    ...body,
    resourceSpans: list(body.resourceSpans, (rs) => rs == null || typeof rs !== 'object'
      ? rs
      : {
          ...rs,
          scopeSpans: list((rs as Record<string, unknown>).scopeSpans, (ss) => ss == null || typeof ss !== 'object'
            ? ss
            : {
                ...ss,
                spans: list((ss as Record<string, unknown>).spans, (span) => {
                  if (span == null || typeof span !== 'object') return span
                  const s = { ...span as Record<string, unknown> }
                  for (const f of ID_FIELDS) {
                    const v = s[f]
                    if (v == null || v === '') { delete s[f]; continue }
                    if (typeof v !== 'string' || v.length !== ID_LENGTH[f] || !/^[0-9a-fA-F]+$/.test(v)) {
                      const got = JSON.stringify(v).slice(0, 40)
                      throw new OtlpDecodeError(`${f} must be ${ID_LENGTH[f]} hex digits (OTLP/JSON), got ${got}`)
                    }
                    s[f] = Buffer.from(v, 'hex')
                  }
                  return s
                })
              })
        })
  }
}
