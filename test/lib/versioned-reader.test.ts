import t from 'tap'
import { VersionedReader } from '../../src/lib/versioned-reader.js'

t.test('concurrent reads of one key share one version read; an answer is computed once per version', async (t) => {
  let version = 1
  let versionReads = 0
  let computed = 0
  const reader = new VersionedReader(1024, async (_key: string) => { versionReads++; return String(version) })
  const compute = async () => ({ n: ++computed })
  const first = await Promise.all([reader.read('k', compute), reader.read('k', compute), reader.read('k', compute)])
  t.equal(versionReads, 1, 'one version read for three requests')
  const last = first[2]
  const again = await reader.read('k', compute)
  t.equal(again.etag, last.etag, 'same version: the cached answer and its ETag')
  t.equal(again.body, last.body)
  t.equal(computed, 3, 'computed by the first requests only (they missed together)')
  t.equal(versionReads, 2, 'but the version is read again for a later request')
  version = 2
  t.equal((await reader.read('k', compute)).body, '{"n":4}', 'a new version computes again')
})

t.test('variants of one key are kept apart and share the key\'s version', async (t) => {
  const reader = new VersionedReader(1024, async (_key: number) => 'v')
  const page1 = await reader.read(7, async () => ({ page: 1 }), 1)
  const page2 = await reader.read(7, async () => ({ page: 2 }), 2)
  t.equal(page1.body, '{"page":1}')
  t.equal(page2.body, '{"page":2}')
  t.equal((await reader.read(7, async () => ({ page: 'again' }), 1)).body, '{"page":1}')
})

t.test('what the version read gives reaches compute; keyOf names object keys, versionOf the version', async (t) => {
  let versionReads = 0
  const reader = new VersionedReader(1024, async (b: { plan: number, index: number }) => {
    versionReads++
    return { revision: 1, id: b.plan * 100 + b.index }
  }, { keyOf: (b) => `${b.plan}/${b.index}`, versionOf: (v) => `${v.id}/${v.revision}` })
  const answers = await Promise.all([
    reader.read({ plan: 1, index: 2 }, async (v) => ({ id: v.id })),
    reader.read({ plan: 1, index: 2 }, async (v) => ({ id: v.id }))
  ])
  t.equal(versionReads, 1, 'two equal keys as different objects share the read')
  t.same(answers.map((a) => a.body), ['{"id":102}', '{"id":102}'])
})

t.test('a failed version read fails every request that waited on it, and nothing is cached', async (t) => {
  let fail = true
  const reader = new VersionedReader(1024, async (_key: string) => {
    if (fail) throw new Error('no such build')
    return '1'
  })
  const waiting = [reader.read('k', async () => 1), reader.read('k', async () => 1)]
  for (const p of waiting) await t.rejects(p, /no such build/)
  fail = false
  t.equal((await reader.read('k', async () => 2)).body, '2')
})
