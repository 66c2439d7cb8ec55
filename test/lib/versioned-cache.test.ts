import t from 'tap'
import { VersionedCache } from '../../src/lib/versioned-cache.js'

t.test('a hit needs the same version; another version computes again', async (t) => {
  const cache = new VersionedCache<string>(1024)
  let computed = 0
  const compute = async () => { computed++; return { n: computed } }
  const first = await cache.through('k', '1', compute)
  t.equal(first.body, '{"n":1}')
  const again = await cache.through('k', '1', compute)
  t.equal(again.body, '{"n":1}', 'same version: from memory')
  t.equal(again.etag, first.etag, 'the same ETag, computed once')
  t.equal(computed, 1)
  const second = await cache.through('k', '2', compute)
  t.equal(second.body, '{"n":2}', 'a new version: computed again')
  t.not(second.etag, first.etag, 'another body, another ETag')
  t.match(second.etag, /^"[A-Za-z0-9+/=]+"$/, 'a quoted strong ETag')
  t.equal((await cache.through('k', '1', compute)).body, '{"n":3}', 'an old version is not served either')
  t.equal(cache.size, 1, 'one entry per key')
})

t.test('bounded in bytes: the oldest entries go first; an answer too large is not kept', async (t) => {
  const cache = new VersionedCache<number>(100)
  const body = (n: number) => async () => 'x'.repeat(n)
  for (let i = 0; i < 10; i++) await cache.through(i, 'v', body(10)) // 12 characters each with the quotes
  t.ok(cache.heldBytes <= 100, `held ${cache.heldBytes} characters`)
  t.equal(cache.size, 8)
  let again = 0
  await cache.through(0, 'v', async () => { again++; return 'x'.repeat(10) })
  t.equal(again, 1, 'the oldest was evicted')
  await cache.through(99, 'v', body(50))
  t.equal(cache.size, 8, 'a body over an eighth of the budget is served but not kept')
})

t.test('an error is not cached', async (t) => {
  const cache = new VersionedCache<string>(1024)
  await t.rejects(cache.through('k', '1', async () => { throw new Error('no such plan') }))
  t.equal(cache.size, 0)
  t.equal((await cache.through('k', '1', async () => 1)).body, '1')
})
