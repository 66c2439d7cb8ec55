// The load generator, run as its own process so it does not share the server's event loop:
//   tsx bench/load.ts '<json options>'  → prints one JSON line {rps, p50_ms, p99_ms, errors, non2xx}
import autocannon, { type Request } from 'autocannon'

interface LoadOptions {
  url: string
  connections: number
  duration: number
  method?: 'GET' | 'POST'
  body?: string
  /** 'update': Build/update bodies spread over builds 1..builds of planId, new and repeated stages */
  mode?: 'update'
  planId?: number
  builds?: number
  headers?: Record<string, string>
}

const opts = JSON.parse(process.argv[2]) as LoadOptions
let n = 0
const requests = opts.mode === 'update'
  ? [{
      method: 'POST' as const,
      setupRequest: (req: Request): Request => {
        n++
        const build = (n % (opts.builds ?? 100)) + 1
        const stage = Math.floor(n / (opts.builds ?? 100)) % 40 // the first 40 laps create stages, then they repeat
        const status = ['running', 'success', 'running', 'failed'][n % 4]
        // Run: this load's own id, so a second load (with stream subscribers) writes as many changes as the first instead of repeats
        return { ...req, body: JSON.stringify({ DevOpsPlanID: opts.planId, BuildIndex: build, StageName: `Stage ${stage}`, Status: status, Detail: { N: n, Run: process.pid } }) }
      }
    }]
  : undefined

const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.duration,
  method: opts.method ?? 'GET',
  body: opts.body,
  headers: { 'content-type': 'application/json', ...opts.headers },
  requests
})
console.log(JSON.stringify({
  rps: result.requests.average,
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx
}))
