import t from 'tap'
import { build, get, post } from '../helper.js'

// Every GET answer carries an ETag; sending it back gets 304 with no body until the data changes.
t.test('GET answers carry an ETag and revalidate with 304 until something changes', async (t) => {
  const app = await build(t)
  const product = (await post(app, '/Product/add', { ProductName: 'UShop' })).json().ProductID as number
  const first = await get(app, '/Product/list')
  const etag = first.headers.etag as string
  t.match(etag, /^"[^"]+"$/, 'a strong ETag')

  const again = await get(app, '/Product/list', {}, { 'if-none-match': etag })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '', 'no body on 304')

  await post(app, '/Product/update', { ProductID: product, ProductName: 'UShop2' })
  const changed = await get(app, '/Product/list', {}, { 'if-none-match': etag })
  t.equal(changed.statusCode, 200, 'a change makes the old ETag stale')
  t.not(changed.headers.etag, etag)
  t.equal(changed.json().ProductList[0].ProductName, 'UShop2')

  const otherQuery = await get(app, '/Plan/list', { ProductID: product }, { 'if-none-match': etag })
  t.equal(otherQuery.statusCode, 200, 'an ETag of another answer does not match')
})
