import { EventEmitter } from 'node:events'
import { getHeapSpaceStatistics } from 'node:v8'
import t from 'tap'
import { releaseStartupMemory, releaseStartupMemoryWhenQuiet } from '../../src/lib/startup-memory.js'

const newSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0

t.test('the collection gives back the young generation that a burst of allocation grew', async (t) => {
  // a burst like start-up's: many short-lived objects with some survivors grow the semi-spaces
  const keep: unknown[] = []
  for (let i = 0; i < 2_000_000; i++) { const o = { i, s: `x${i}` }; if (i % 10 === 0) keep.push(o) }
  const grown = newSpace()
  keep.length = 0
  const ms = releaseStartupMemory()
  t.type(ms, 'number', 'the runtime allowed it')
  t.ok(newSpace() < grown, `new space ${grown} → ${newSpace()} bytes`)
  t.equal((globalThis as { gc?: unknown }).gc, undefined, 'no gc() on the application\'s global')
})

t.test('it waits for a quiet moment, and gives up under steady traffic', async (t) => {
  const busy = new EventEmitter()
  const released: Array<number | null> = []
  releaseStartupMemoryWhenQuiet(busy, (ms) => released.push(ms), { quietMs: 50, maxChecks: 5 })
  const traffic = setInterval(() => busy.emit('request'), 5)
  await new Promise((resolve) => setTimeout(resolve, 400))
  clearInterval(traffic)
  t.same(released, [], 'never while requests keep coming')
  t.equal(busy.listenerCount('request'), 0, 'stops counting once it gave up')

  const idle = new EventEmitter()
  releaseStartupMemoryWhenQuiet(idle, (ms) => released.push(ms), { quietMs: 50, maxChecks: 5 })
  idle.emit('request')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(released.length, 1, 'once, after a quiet window')
  t.equal(idle.listenerCount('request'), 0)
})
