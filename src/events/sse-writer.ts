import type { FastifyBaseLogger } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { StreamEvent } from '../schemas/event.js'

const HEARTBEAT_MS = 15_000
/**
 * A stream with more than this unsent (a client that stopped reading) is closed: the client resumes
 * with Last-Event-ID. The backlog never gets near it (a page waits for the socket to drain).
 */
export const MAX_UNSENT = 1024 * 1024

// The hub hands every subscriber the same event object: it is serialized once, however many streams carry it
const frames = new WeakMap<StreamEvent, string>()
function frameOf (e: StreamEvent): string {
  let frame = frames.get(e)
  if (frame === undefined) {
    frame = `id: ${e.EventID}\ndata: ${JSON.stringify(e)}\n\n`
    frames.set(e, frame)
  }
  return frame
}

/**
 * Writes Server-Sent Events to one open response, framed per the HTML standard: `id:` and `data:`
 * lines and a blank line per event, `:` comment lines as heartbeats (so proxies keep the stream).
 */
export class SseWriter {
  private pending = ''
  private queued = false
  private readonly heartbeat: NodeJS.Timeout

  constructor (private readonly res: ServerResponse, private readonly log: FastifyBaseLogger) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(': stream open\n\n')
    this.heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  /**
   * Queues an event. The events of one hub tick leave as one string in one write: one chunk for the
   * socket, where a write per event left a chunk per event for writev to convert and send.
   */
  readonly send = (e: StreamEvent): void => {
    if (this.res.destroyed) return
    this.pending += frameOf(e)
    // a client that does not read is judged as soon as what it has not taken passes the limit
    if (this.res.writableLength + this.pending.length > MAX_UNSENT) { this.flush(); return }
    if (!this.queued) {
      this.queued = true
      process.nextTick(this.flush)
    }
  }

  /** Resolves when the client took what was sent (true), or is gone (false): the backlog's next page waits for it. */
  readonly ready = async (): Promise<boolean> => {
    this.flush() // what the page sent is judged now, not a tick later
    const res = this.res
    if (res.destroyed) return false
    if (!res.writableNeedDrain) return true
    return await new Promise<boolean>((resolve) => {
      const done = (more: boolean) => () => { res.off('drain', onDrain); res.off('close', onClose); resolve(more) }
      const onDrain = done(true)
      const onClose = done(false)
      res.once('drain', onDrain).once('close', onClose)
    })
  }

  /** Stops the heartbeat (the response closed). */
  stop (): void { clearInterval(this.heartbeat) }

  private readonly flush = (): void => {
    this.queued = false
    const chunk = this.pending
    this.pending = ''
    if (chunk === '' || this.res.destroyed) return
    this.res.write(chunk)
    if (this.res.writableLength > MAX_UNSENT) {
      this.log.info({ unsent: this.res.writableLength },
        'event stream closed: the client does not read (it may resume with Last-Event-ID)')
      this.res.destroy()
    }
  }
}
