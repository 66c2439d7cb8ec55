import { connect } from 'node:net'
import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { build } from '../helper.js'

/** Sends a `size`-byte JSON body over a fresh socket, as fast as the socket takes it; answers what came back. */
async function send (port: number, size: number, chunked = false): Promise<{ status: number | null, body: string, error?: string }> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let raw = ''
    let error: string | undefined
    socket.setEncoding('utf8')
    // like a client that reads the answer only once it has sent its request (curl, most HTTP libraries)
    socket.pause()
    socket.on('data', (d: string) => { raw += d })
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code })
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]
      resolve({ status: status == null ? null : Number(status), body: raw.slice(raw.indexOf('\r\n\r\n') + 4), error })
    })
    const body = `{"ProductName":"${'x'.repeat(size - 18)}"}`
    const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${Buffer.byteLength(body)}`
    socket.write(`POST ${API_PREFIX}/Product/add HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${length}\r\n\r\n`)
    const piece = 64 * 1024
    for (let i = 0; i < body.length; i += piece) {
      const part = body.slice(i, i + piece)
      socket.write(chunked ? `${part.length.toString(16)}\r\n${part}\r\n` : part)
    }
    socket.write(chunked ? '0\r\n\r\n' : '', () => socket.resume())
  })
}

// a client still sending its oversized body must see 1008, not a connection reset
t.test('an oversized body is answered 1008 (HTTP 413) every time, with the length announced or not', async (t) => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  // 6 MB: more than loopback's socket buffers take at once, so the client is still sending when the answer is ready
  const size = 6 * 1024 * 1024
  const results: string[] = []
  for (let i = 0; i < 10; i++) {
    for (const chunked of [false, true]) {
      const r = await send(port, size, chunked)
      results.push(r.status === 413 && JSON.parse(r.body).ErrorCode === 1008 ? 'ok' : `${r.status} ${r.error ?? ''} ${r.body.slice(0, 80)}`)
    }
  }
  t.same(results.filter((r) => r !== 'ok'), [], `${results.filter((r) => r === 'ok').length} of ${results.length} answered 1008`)
})
