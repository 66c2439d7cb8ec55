import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { eventIdStep, eventsAfter, lastEventId, type StreamFilter } from '../repositories/events.js'
import type { StreamEvent } from '../schemas/event.js'

// The live side of the events table. Each server process tails the table with ONE query per
// interval, shared by all its subscribers, so an event any process writes (every write appends one
// in its own transaction) reaches every process's subscribers within an interval or two. Nothing is
// kept in memory beyond the last id seen: the table is the only source, which also makes resuming
// with Last-Event-ID exact.

export interface Subscriber {
  filter: StreamFilter
  send: (e: StreamEvent) => void
  /**
   * Resolves once the subscriber can take another page of backlog (its socket drained): true, or
   * false when it is gone. Without it, pages follow each other as fast as the database answers.
   */
  ready?: () => Promise<boolean>
}

type Entry = Subscriber

const PAGE = 500
/**
 * How long the tail waits at a missing id before it takes it for a rolled-back insert. On MySQL a
 * transaction can commit after one holding a later id (ids are taken at insert, seen at commit);
 * delivering past the hole would lose that event for good.
 */
export const GAP_WAIT_MS = 2000

export class EventHub {
  private readonly subscribers = new Set<Entry>()
  private lastId = -1
  private timer: NodeJS.Timeout | null = null
  private starting: Promise<void> | null = null
  private closed = false
  private ticking = false
  /** the id step on MySQL (gaps may be commits still to come); null on SQLite (ids appear in order) */
  private step: number | null = null
  /** since when the tail has waited at a missing id */
  private gapSince: number | null = null
  /** tail queries made so far (a test checks there is one per interval, not one per subscriber) */
  queries = 0
  /** backlog pages read so far, and subscribers waiting to be ready for their next page (tests read them) */
  backlogPages = 0
  waiting = 0
  /** the backlog page running now (see backlogTurn) */
  private turn: Promise<void> = Promise.resolve()

  constructor (private readonly db: Kysely<Database>, private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void) {}

  get size (): number { return this.subscribers.size }

  /**
   * Adds a subscriber: first every matching event after `afterId` (when given) up to now, read
   * page by page, then live ones, in EventID order, none twice. Answers the unsubscribe function.
   *
   * The backlog is read one page per query and the next page only once the subscriber is ready
   * for it, so a client that reads slowly (or not at all) holds at most one page in the server's
   * memory. The subscriber joins the live tail only when it has caught up with it: nothing is
   * buffered for it meanwhile, however long its backlog takes.
   */
  async subscribe (s: Subscriber, afterId?: number): Promise<() => void> {
    await this.start()
    const entry: Entry = { ...s }
    if (afterId != null) {
      let from = afterId
      for (;;) {
        const { cut, page } = await this.backlogTurn(async () => {
          const cut = this.lastId
          this.backlogPages++
          const page = (await eventsAfter(this.db, from, PAGE, s.filter)).filter((e) => e.EventID <= cut)
          for (const e of page) s.send(e)
          return { cut, page }
        })
        if (page.length === PAGE) from = page[page.length - 1].EventID
        // every matching event up to the tail's position was sent, and the tail has not moved
        // since: from here on the tail delivers (synchronously with this check, so none is lost)
        else if (this.lastId === cut) break
        else from = Math.max(from, cut)
        if (s.ready != null) {
          this.waiting++
          const more = await s.ready().finally(() => { this.waiting-- })
          if (!more) return () => {}
        }
      }
    }
    this.subscribers.add(entry)
    if (this.timer == null && !this.ticking) this.schedule()
    return () => { this.subscribers.delete(entry) }
  }

  /**
   * Runs one backlog page: one at a time in the process, each in its own turn of the event loop.
   * Reading and framing a page takes a few milliseconds (on SQLite without yielding: the query
   * resolves without I/O), so twenty streams catching up at once would otherwise hold every other
   * request for the length of twenty pages, page after page.
   */
  private async backlogTurn<T> (page: () => Promise<T>): Promise<T> {
    const before = this.turn
    let release!: () => void
    this.turn = new Promise((resolve) => { release = resolve })
    await before
    try {
      return await page()
    } finally {
      setImmediate(release)
    }
  }

  close (): void {
    this.closed = true
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = null
    this.subscribers.clear()
  }

  private async start (): Promise<void> {
    this.starting ??= (async () => {
      this.step = await eventIdStep(this.db)
      this.lastId = await lastEventId(this.db)
      this.gapSince = null
    })()
    await this.starting
  }

  private schedule (): void {
    if (this.closed) return
    this.timer = setTimeout(() => { this.tick().catch(this.onError) }, this.intervalMs)
    this.timer.unref()
  }

  private async tick (): Promise<void> {
    this.timer = null
    if (this.subscribers.size === 0) {
      // nobody listens: stop tailing; the next subscriber starts again from the newest id
      this.starting = null
      return
    }
    this.ticking = true
    try {
      this.queries++
      for (;;) {
        const page = await eventsAfter(this.db, this.lastId, PAGE)
        let taken = 0
        for (const e of page) {
          if (!this.inOrder(e.EventID)) break
          this.dispatch(e)
          this.lastId = e.EventID
          taken++
        }
        if (page.length < PAGE || taken < page.length) break
      }
    } catch (err) {
      this.onError(err)
    }
    this.ticking = false
    this.schedule()
  }

  /**
   * Whether `id` may be delivered now: it follows the last one, or the hole before it is old enough to be a rollback.
   */
  private inOrder (id: number): boolean {
    if (this.step == null || id === this.lastId + this.step) {
      this.gapSince = null
      return true
    }
    this.gapSince ??= Date.now()
    if (Date.now() - this.gapSince < GAP_WAIT_MS) return false
    this.gapSince = null
    return true
  }

  private dispatch (e: StreamEvent): void {
    for (const s of this.subscribers) {
      if (matches(s.filter, e)) s.send(e)
    }
  }
}

export function matches (f: StreamFilter, e: StreamEvent): boolean {
  return (f.productId == null || f.productId === e.ProductID) &&
    (f.planId == null || f.planId === e.DevOpsPlanID) &&
    (f.buildIndex == null || f.buildIndex === e.BuildIndex)
}
