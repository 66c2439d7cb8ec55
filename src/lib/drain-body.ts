import type { IncomingMessage } from 'node:http'

/**
 * Reads and drops the rest of a request body, up to `max` bytes or 10 s. An answer sent while the
 * client is still sending makes the server close a socket that data keeps arriving on: the peer
 * then gets a reset, which may discard the answer before the client reads it.
 */
export async function drainBody (req: IncomingMessage, max: number): Promise<void> {
  if (req.complete || req.destroyed) return
  await new Promise<void>((resolve) => {
    let read = 0
    const done = (): void => {
      clearTimeout(timer)
      req.off('data', onData).off('end', done).off('close', done).off('error', done)
      resolve()
    }
    const onData = (chunk: Buffer): void => { read += chunk.length; if (read > max) done() }
    const timer = setTimeout(done, 10_000)
    req.on('data', onData).once('end', done).once('close', done).once('error', done)
    req.resume()
  })
}
