import { randomUUID } from 'node:crypto'
import type { Config } from './config.js'
import { lazyCompilers } from './lib/lazy-compilers.js'
import { OneLineLogController } from './log-controller.js'

export const BODY_LIMIT = 1024 * 1024

/** Fastify options shared by the server and the tests: the validation and limits are part of the contract. */
export function fastifyOptions (logger: boolean | object = false, config: Pick<Config, 'TRUST_PROXY'> = {}) {
  return {
    logger,
    // which proxies may say who the client is (X-Forwarded-For): the address the failed-auth limit,
    // the rate limit and the stream cap count by; none by default, so a client cannot claim another's
    trustProxy: trustProxy(config.TRUST_PROXY),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Integers-as-strings are handled by the schemas themselves (see schemas/common.ts)
    // verbose: errors carry their schema, so a message can state an integer's range (errors.ts)
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
    // Slow or idle clients cannot hold connections for ever. requestTimeout bounds only RECEIVING a
    // request (headers and body), so a long answer such as the event stream is not cut by it;
    // connectionTimeout is the socket's inactivity limit, so such a stream must write (a heartbeat)
    // more often than that.
    requestTimeout: 30_000,
    connectionTimeout: 120_000,
    keepAliveTimeout: 5_000,
    maxRequestsPerSocket: 10_000,
    logController: new OneLineLogController(),
    schemaController: { compilersFactory: lazyCompilers() },
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const
  }
}

/** TRUST_PROXY as Fastify's trustProxy: true/false, a hop count, or addresses and CIDRs separated by commas. */
export function trustProxy (value: string | undefined): boolean | string | ((address: string, hop: number) => boolean) {
  if (value == null || value === 'false') return false
  if (value === 'true') return true
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value)
    return (_address, hop) => hop < hops
  }
  return value
}
