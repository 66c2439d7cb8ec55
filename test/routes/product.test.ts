import t from 'tap'
import { build, get, post } from '../helper.js'

t.test('Product/add, list, update, delete', async (t) => {
  const app = await build(t)
  t.same((await get(app, '/Product/list')).json(), { ErrorCode: 1000, Description: 'OK', TotalCount: 0, ProductList: [] })

  const add = await post(app, '/Product/add', { ProductName: 'UShop' })
  t.equal(add.statusCode, 200)
  t.match(add.json(), { ErrorCode: 1000, Description: 'OK', ProductID: Number })
  const id = add.json().ProductID
  await post(app, '/Product/add', { ProductName: 'RMM' })

  const list = await get(app, '/Product/list')
  t.same(list.json(), { ErrorCode: 1000, Description: 'OK', TotalCount: 2, ProductList: [{ ProductID: id, ProductName: 'UShop' }, { ProductID: id + 1, ProductName: 'RMM' }] })

  t.same((await post(app, '/Product/update', { ProductID: String(id), ProductName: 'UShop2' })).json(), { ErrorCode: 1000, Description: 'OK' })
  t.equal((await get(app, '/Product/list')).json().ProductList[0].ProductName, 'UShop2')
  // renaming to its own name is fine
  t.equal((await post(app, '/Product/update', { ProductID: id, ProductName: 'UShop2' })).json().ErrorCode, 1000)

  const dup = await post(app, '/Product/update', { ProductID: id, ProductName: 'RMM' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().ErrorCode, 1003)

  const gone = await post(app, '/Product/update', { ProductID: 999, ProductName: 'X' })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().ErrorCode, 1002)

  t.equal((await post(app, '/Product/delete', { ProductID: id })).json().ErrorCode, 1000)
  t.equal((await get(app, '/Product/list')).json().TotalCount, 1)
  const again = await post(app, '/Product/delete', { ProductID: id })
  t.equal(again.statusCode, 404)
  t.equal(again.json().ErrorCode, 1002)
})

t.test('a product that still has plans cannot be deleted', async (t) => {
  const app = await build(t)
  const { ProductID } = (await post(app, '/Product/add', { ProductName: 'UShop' })).json()
  await post(app, '/Plan/add', { ProductID, PlanName: 'UShopApi' })
  const res = await post(app, '/Product/delete', { ProductID })
  t.equal(res.statusCode, 409)
  t.match(res.json(), { ErrorCode: 1003, Description: /plans/ })
  t.equal((await get(app, '/Product/list')).json().TotalCount, 1)
})

t.test('names: exact, trimmed, unique by exact comparison, hostile ones stored byte for byte', async (t) => {
  const app = await build(t)
  const hostile = ['UShop', 'ushop', '  padded  ', 'quote " and \' and `', '100% _under_', "'; DROP TABLE products; --",
    '构建产品', '🚀 rocket 👩‍💻', 'a'.repeat(128), '😀'.repeat(128), 'back\\slash', '<script>alert(1)</script>']
  for (const name of hostile) {
    const res = await post(app, '/Product/add', { ProductName: name })
    t.equal(res.json().ErrorCode, 1000, `added ${name.slice(0, 20)}`)
  }
  const names = (await get(app, '/Product/list')).json().ProductList.map((p: { ProductName: string }) => p.ProductName)
  t.same(names, hostile.map((n) => n.trim()))

  // "UShop" and "ushop" are two products, but "UShop" twice is a conflict, also after trimming
  const dup = await post(app, '/Product/add', { ProductName: ' UShop ' })
  t.equal(dup.statusCode, 409)
  t.match(dup.json(), { ErrorCode: 1003, Description: /UShop/ })
})

t.test('bad product names are 1001 and record nothing', async (t) => {
  const app = await build(t)
  const bad: unknown[] = ['', '   ', '\t\n', 'a'.repeat(129), '😀'.repeat(129), 123, true, null, ['UShop'], { n: 1 }]
  for (const ProductName of bad) {
    const res = await post(app, '/Product/add', { ProductName } as Record<string, unknown>)
    t.equal(res.statusCode, 400, `status for ${JSON.stringify(ProductName)?.slice(0, 30)}`)
    t.match(res.json(), { ErrorCode: 1001, Description: /ProductName/ })
  }
  const missing = await post(app, '/Product/add', {})
  t.match(missing.json(), { ErrorCode: 1001, Description: 'body/ProductName is required' })
  t.equal((await get(app, '/Product/list')).json().TotalCount, 0)
})

t.test('bad ProductID on update and delete', async (t) => {
  const app = await build(t)
  for (const ProductID of ['abc', '-1', '1.5', '', 0, -1, 1.5, true, null, '99999999999']) {
    const res = await post(app, '/Product/delete', { ProductID } as Record<string, unknown>)
    t.equal(res.statusCode, 400, `ProductID ${JSON.stringify(ProductID)}`)
    t.match(res.json(), { ErrorCode: 1001, Description: /ProductID/ })
  }
})
