import t from 'tap'
import { ReadBatcher } from '../../src/lib/read-batcher.js'

t.test('callers asking before the read starts share it; one asking later gets a read of its own', async (t) => {
  const batcher = new ReadBatcher<string, number>()
  let reads = 0
  let value = 1
  const read = async (): Promise<number> => { reads++; return value }
  const together = await Promise.all([batcher.read('k', read), batcher.read('k', read), batcher.read('k', read)])
  t.same(together, [1, 1, 1])
  t.equal(reads, 1, 'three callers, one read')
  value = 2 // a write committed after those reads, before the next caller came
  t.equal(await batcher.read('k', read), 2, 'a later caller sees the write')
  t.equal(reads, 2)
})

t.test('a caller arriving while a read is running does not join it (that read began before the caller came)', async (t) => {
  const batcher = new ReadBatcher<string, number>()
  let value = 1
  let release!: () => void
  const reads: number[] = []
  const slowRead = async (): Promise<number> => {
    const seen = value // what the database answers when the read begins
    reads.push(seen)
    await new Promise<void>((resolve) => { release = resolve })
    return seen
  }
  const first = batcher.read('k', slowRead)
  await new Promise((resolve) => setImmediate(resolve)) // the first read has begun
  t.equal(reads.length, 1)
  value = 2 // committed while it runs
  const second = batcher.read('k', async () => value)
  t.equal(await second, 2, 'the newcomer reads again and sees the write')
  release()
  t.equal(await first, 1)
})

t.test('keys are separate; an error reaches every caller of its read and is not kept', async (t) => {
  const batcher = new ReadBatcher<string, number>()
  const failing = async (): Promise<number> => { throw new Error('no such build') }
  const results = await Promise.allSettled([batcher.read('a', failing), batcher.read('a', failing), batcher.read('b', async () => 7)])
  t.equal(results[0].status, 'rejected')
  t.equal(results[1].status, 'rejected')
  t.same(results[2], { status: 'fulfilled', value: 7 })
  t.equal(await batcher.read('a', async () => 3), 3, 'the next read of the key runs anew')
  t.equal(batcher.waitingKeys, 0)
})
