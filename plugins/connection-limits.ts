import fp from 'fastify-plugin'
import type { Socket } from 'node:net'

// Idle sockets cost a file descriptor each: one client holding as many as the process may open
// starves everyone else (new connections are reset). So connections are capped per client address
// and in total; beyond, a new socket is closed at once, and those already open are untouched.
// Counted per process on the socket's peer: behind a reverse proxy that is the proxy (raise the
// per-address cap, or let the proxy limit its clients).
export default fp(async function connectionLimits (fastify) {
  const { CONNECTIONS_MAX, CONNECTIONS_PER_ADDRESS } = fastify.config
  const server = fastify.server
  // Node closes sockets beyond it before any request is read
  server.maxConnections = CONNECTIONS_MAX
  const perAddress = new Map<string, number>()
  let refused = 0
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? ''
    const open = perAddress.get(address) ?? 0
    if (open >= CONNECTIONS_PER_ADDRESS) {
      if (refused++ % 1000 === 0) {
        fastify.log.warn({ open, refused },
          'connection refused: this address holds CONNECTIONS_PER_ADDRESS connections')
      }
      socket.destroy()
      return
    }
    perAddress.set(address, open + 1)
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    })
  })
}, { name: 'connection-limits', dependencies: ['config'] })
