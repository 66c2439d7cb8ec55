import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { build } from '../helper.js'

/** An idle connection from `localAddress`; `closed` turns true when the server closes it. */
async function idle (port: number, localAddress: string): Promise<{ socket: Socket, closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress })
  let closed = false
  socket.on('close', () => { closed = true }).on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  return { socket, closed: () => closed }
}

/** One request on its own connection from `localAddress`: its status, or the error that ended it. */
async function ask (port: number, localAddress: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress })
    let raw = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { raw += d }).on('error', () => {})
    socket.on('close', () => resolve(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1] ?? 'closed'))
    socket.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n')
  })
}

async function until (check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) { if (await check()) return; await sleep(20) }
  throw new Error(`never happened: ${what}`)
}

t.test('idle connections are capped per address and in total; others are still served', async (t) => {
  const app = await build(t, { env: { CONNECTIONS_PER_ADDRESS: '3', CONNECTIONS_MAX: '5' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const held = await Promise.all([1, 2, 3].map(async () => await idle(port, '127.0.0.1')))
  t.teardown(() => { for (const c of held) c.socket.destroy() })
  t.equal(await ask(port, '127.0.0.1'), 'closed', 'a 4th connection from the same address is closed')
  t.ok(held.every((c) => !c.closed()), 'the three it holds stay open')
  t.equal(await ask(port, '127.0.0.2'), '200', 'another address is served')
  const more = await Promise.all([1, 2].map(async () => await idle(port, '127.0.0.2')))
  t.teardown(() => { for (const c of more) c.socket.destroy() })
  const open = async (): Promise<number> => await new Promise((resolve) => app.server.getConnections((_e, n) => resolve(n)))
  await until(async () => await open() === 5, 'five open')
  t.equal(await ask(port, '127.0.0.3'), 'closed', 'a 6th connection in all is closed')
  held[0].socket.destroy()
  await until(async () => await open() === 4, 'the server saw it close')
  t.equal(await ask(port, '127.0.0.3'), '200', 'a freed slot is available again')
})

t.test('the defaults', async (t) => {
  const app = await build(t)
  t.same([app.config.CONNECTIONS_MAX, app.config.CONNECTIONS_PER_ADDRESS], [4096, 256])
})
