import t from 'tap'
import { API_PREFIX } from '../../src/app.js'
import { build, get, post } from '../helper.js'

t.test('every failure answers the envelope', async (t) => {
  const app = await build(t)

  const route = await app.inject({ url: '/nope' })
  t.equal(route.statusCode, 404)
  t.same(route.json(), { ErrorCode: 1002, Description: 'no route GET /nope' })
  const wrongMethod = await app.inject({ method: 'DELETE', url: `${API_PREFIX}/Product/list` })
  t.equal(wrongMethod.statusCode, 405, 'a known path with the wrong method is 405 (issue 12, point 16)')
  t.equal(wrongMethod.headers.allow, 'GET')
  t.equal(wrongMethod.json().ErrorCode, 1001)

  const malformed = await post(app, '/Product/add', '{"ProductName": "x",', { 'content-type': 'application/json' })
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { ErrorCode: 1001, Description: /body/ })

  const empty = await post(app, '/Product/add', '', { 'content-type': 'application/json' })
  t.equal(empty.statusCode, 400)
  t.equal(empty.json().ErrorCode, 1001)

  const notObject = await post(app, '/Product/add', '[1,2]', { 'content-type': 'application/json' })
  t.equal(notObject.statusCode, 400)
  t.match(notObject.json(), { ErrorCode: 1001, Description: /body/ })

  const wrongType = await post(app, '/Product/add', 'ProductName=x', { 'content-type': 'application/x-www-form-urlencoded' })
  t.equal(wrongType.statusCode, 400)
  t.match(wrongType.json(), { ErrorCode: 1001, Description: /application\/json/ })

  const noBody = await app.inject({ method: 'POST', url: `${API_PREFIX}/Product/add` })
  t.equal(noBody.statusCode, 400)
  t.equal(noBody.json().ErrorCode, 1001)

  const huge = await post(app, '/Product/add', JSON.stringify({ ProductName: 'x', pad: 'y'.repeat(1024 * 1024) }), { 'content-type': 'application/json' })
  t.equal(huge.statusCode, 413)
  t.same(huge.json(), { ErrorCode: 1008, Description: 'request body is larger than 1 MiB' })

  t.equal((await get(app, '/Product/list')).json().TotalCount, 0, 'nothing was recorded')
  t.match(route.headers['content-type'], /application\/json/)
})

t.test('a charset on the JSON content type is fine', async (t) => {
  const app = await build(t)
  const res = await post(app, '/Product/add', JSON.stringify({ ProductName: 'UShop' }), { 'content-type': 'application/json;charset=UTF-8' })
  t.equal(res.json().ErrorCode, 1000)
})
