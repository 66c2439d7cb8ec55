import t from 'tap'
import { build, get, post, seedPlan } from '../helper.js'

t.test('Plan/add, list, update, delete', async (t) => {
  const app = await build(t)
  const { ProductID } = (await post(app, '/Product/add', { ProductName: 'UShop' })).json()
  const other = (await post(app, '/Product/add', { ProductName: 'RMM' })).json().ProductID

  const a = await post(app, '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'folder/sub/Test' })
  t.match(a.json(), { ErrorCode: 1000, Description: 'OK', DevOpsPlanID: Number })
  const b = await post(app, '/Plan/add', { ProductID: String(ProductID), PlanName: 'UShopWeb' })
  // the same name under another product is fine
  t.equal((await post(app, '/Plan/add', { ProductID: other, PlanName: 'UShopApi' })).json().ErrorCode, 1000)

  const list = await get(app, '/Plan/list', { ProductID })
  t.same(list.json(), {
    ErrorCode: 1000,
    Description: 'OK',
    TotalCount: 2,
    PlanList: [
      { DevOpsPlanID: a.json().DevOpsPlanID, PlanName: 'UShopApi', JobName: 'folder/sub/Test', JenkinsName: null },
      { DevOpsPlanID: b.json().DevOpsPlanID, PlanName: 'UShopWeb', JobName: null, JenkinsName: null }
    ]
  })

  const dup = await post(app, '/Plan/add', { ProductID, PlanName: 'UShopApi' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().ErrorCode, 1003)

  const id = b.json().DevOpsPlanID
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: id, JobName: 'Web' })).json().ErrorCode, 1000)
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: id, PlanName: 'UShopWeb2' })).json().ErrorCode, 1000)
  t.match((await get(app, '/Plan/list', { ProductID })).json().PlanList[1], { PlanName: 'UShopWeb2', JobName: 'Web' })
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: id, JobName: null })).json().ErrorCode, 1000)
  t.equal((await get(app, '/Plan/list', { ProductID })).json().PlanList[1].JobName, null)
  const clash = await post(app, '/Plan/update', { DevOpsPlanID: id, PlanName: 'UShopApi' })
  t.equal(clash.statusCode, 409)
  t.equal(clash.json().ErrorCode, 1003)

  t.equal((await post(app, '/Plan/delete', { DevOpsPlanID: id })).json().ErrorCode, 1000)
  t.equal((await get(app, '/Plan/list', { ProductID })).json().TotalCount, 1)
  t.equal((await post(app, '/Plan/delete', { DevOpsPlanID: id })).statusCode, 404)
  t.equal((await post(app, '/Plan/update', { DevOpsPlanID: id, PlanName: 'x' })).json().ErrorCode, 1002)
})

t.test('unknown product: 1002 on list and add', async (t) => {
  const app = await build(t)
  const list = await get(app, '/Plan/list', { ProductID: 42 })
  t.equal(list.statusCode, 404)
  t.match(list.json(), { ErrorCode: 1002, Description: /product/ })
  const add = await post(app, '/Plan/add', { ProductID: 42, PlanName: 'x' })
  t.equal(add.statusCode, 404)
  t.equal(add.json().ErrorCode, 1002)
})

t.test('bad Plan parameters are 1001 naming the field', async (t) => {
  const app = await build(t)
  const { productId } = await seedPlan(app)
  for (const q of ['', 'abc', '-1', '1.5', '0']) {
    const res = await get(app, '/Plan/list', { ProductID: q })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { ErrorCode: 1001, Description: /ProductID/ })
  }
  t.match((await get(app, '/Plan/list')).json(), { ErrorCode: 1001, Description: 'querystring/ProductID is required' })
  t.match((await post(app, '/Plan/add', { ProductID: productId, PlanName: ' ' })).json(), { ErrorCode: 1001, Description: /PlanName/ })
  t.match((await post(app, '/Plan/add', { ProductID: productId, PlanName: 'p', JobName: 'j'.repeat(513) })).json(), { ErrorCode: 1001, Description: /JobName/ })
  t.equal((await post(app, '/Plan/add', { ProductID: productId, PlanName: 'p', JobName: 'j'.repeat(512) })).json().ErrorCode, 1000)
  t.match((await post(app, '/Plan/update', { DevOpsPlanID: 'x' })).json(), { ErrorCode: 1001, Description: /DevOpsPlanID/ })
})

t.test('a plan with builds cannot be deleted', async (t) => {
  const app = await build(t, { env: { JENKINS_URL: 'http://127.0.0.1:9' } })
  const { planId } = await seedPlan(app)
  // Jenkins is unreachable: the build is still recorded (as Fail)
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId })).json().ErrorCode, 1007)
  const res = await post(app, '/Plan/delete', { DevOpsPlanID: planId })
  t.equal(res.statusCode, 409)
  t.equal(res.json().ErrorCode, 1003)
})
