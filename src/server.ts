import Fastify, { type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import app, { fastifyOptions } from './app.js'
import { type Config, loadConfig } from './config.js'
import { redactUrl } from './lib/secrets.js'

async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    console.error(`invalid configuration: ${(err as Error).message}`)
    process.exit(1)
  }
  const logger = {
    level: config.LOG_LEVEL,
    // request logs carry no headers (Authorization), and the webhook's ?token= is masked
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip })
    }
  }
  const server = Fastify(fastifyOptions(logger))
  let closing = false
  // while shutting down, answers in flight still go out, then their keep-alive connections close
  server.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })
  await server.register(fp(app), { config })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return
      closing = true
      server.log.info({ signal }, 'shutting down')
      const force = setTimeout(() => process.exit(1), 10_000).unref()
      server.close().then(() => { clearTimeout(force); process.exit(0) }, () => process.exit(1))
    })
  }
  await server.listen({ host: config.HOST, port: config.PORT })
}

await main()
