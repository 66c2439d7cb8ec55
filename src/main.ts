import Fastify, { type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import pino from 'pino'
import app, { fastifyOptions } from './app.js'
import { type Config, loadConfig } from './config.js'
import { redactUrl } from './lib/secrets.js'
import { releaseStartupMemoryWhenQuiet } from './lib/startup-memory.js'

async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    console.error(`invalid configuration: ${(err as Error).message}`)
    process.exit(1)
  }
  // Asynchronous stdout: a synchronous write per log line cost ~17 % of a cached read's busy CPU
  // (profile in the README); lines written while one write is in flight go out together.
  const destination = pino.destination({ dest: 1, sync: false })
  const logger = {
    level: config.LOG_LEVEL,
    stream: destination,
    // request logs carry no headers (Authorization), and the webhook's ?token= is masked
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip
      })
    }
  }
  const server = Fastify(fastifyOptions(logger, config))
  let closing = false
  // while shutting down, answers in flight still go out, then their keep-alive connections close
  server.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })
  try {
    await server.register(fp(app), { config })
    await server.listen({ host: config.HOST, port: config.PORT })
    releaseStartupMemoryWhenQuiet(server.server, (ms) => { server.log.debug({ ms }, 'start-up memory released') })
  } catch (err) {
    // one line naming the cause and the fix, instead of a stack trace
    console.error(startupFailure(err, config))
    destination.flushSync()
    process.exit(1)
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return
      closing = true
      server.log.info({ signal }, 'shutting down')
      const force = setTimeout(() => process.exit(1), 10_000).unref()
      const exit = (code: number) => { destination.flushSync(); process.exit(code) }
      server.close().then(() => { clearTimeout(force); exit(0) }, () => exit(1))
    })
  }
}

function startupFailure (err: unknown, config: Config): string {
  const e = err as Error & { code?: string }
  if (e.code === 'EADDRINUSE') {
    return `cannot start: ${config.HOST}:${config.PORT} is already in use (EADDRINUSE); ` +
      'stop the other process or set PORT'
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
    return `cannot start: cannot listen on ${config.HOST}:${config.PORT} (${e.code}); check HOST and PORT`
  }
  if (config.DATABASE_URL.startsWith('mysql://') && (e.code != null || /database|mysql|connect/i.test(e.message))) {
    const url = new URL(config.DATABASE_URL)
    url.password = url.password === '' ? '' : '***'
    const failed = `cannot start: the database ${url.toString()} failed: ${e.code ?? ''} ${e.message}`
    return `${failed}; check DATABASE_URL (host, port, user, password, database) and that MySQL/MariaDB is running`
      .replace(/\s+/g, ' ')
  }
  return `cannot start: ${e.message ?? String(err)}`
}

await main()
