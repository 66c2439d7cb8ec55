import t from 'tap'
import { normalizeName } from '../../src/lib/names.js'
import { build, post, seedPlan } from '../helper.js'

const NFC = 'Caf\u00e9'
const NFD = 'Cafe\u0301'

t.test('normalizeName: trimmed and NFC; controls, bidi controls and lone surrogates are 1001 naming the field', async (t) => {
  t.equal(normalizeName(`  ${NFD} `, 'f'), NFC)
  t.equal(normalizeName('优选商城', 'f'), '优选商城')
  t.equal(normalizeName('👩‍💻 team', 'f'), '👩‍💻 team', 'emoji with a joiner are text')
  for (const [bad, why] of [['a\u0000b', /control character \(U\+0000\)/], ['a\nb', /U\+000A/], ['a\tb', /U\+0009/], ['a\u007fb', /U\+007F/],
    ['a\u0085b', /U\+0085/], ['abc\u202Efdp.exe', /bidirectional control character \(U\+202E\)/], ['a\u2066b', /U\+2066/],
    ['a\u200Fb', /U\+200F/], ['a\ud800b', /lone surrogate/], ['a\udc00', /lone surrogate/]] as const) {
    t.throws(() => normalizeName(bad, 'body/ProductName'), { errorCode: 1001, message: new RegExp(`^body/ProductName .*${why.source}`) }, JSON.stringify(bad))
  }
  t.equal(normalizeName('\ud83d\ude00', 'f'), '\ud83d\ude00', 'a surrogate pair is fine')
})

t.test('product and plan names: stored NFC, look-alike duplicates are 1003, bad characters 1001', async (t) => {
  const app = await build(t)
  const first = (await post(app, '/Product/add', { ProductName: NFD })).json()
  t.equal(first.ErrorCode, 1000)
  t.equal((await app.db.selectFrom('products').select('name').executeTakeFirstOrThrow()).name, NFC, 'stored NFC')
  t.equal((await post(app, '/Product/add', { ProductName: NFC })).json().ErrorCode, 1003, 'the same name typed the other way')
  const other = (await post(app, '/Product/add', { ProductName: 'Other' })).json()
  t.equal((await post(app, '/Product/update', { ProductID: other.ProductID, ProductName: NFD })).json().ErrorCode, 1003, 'nor by a rename')
  for (const bad of ['x\u0000', 'line\nbreak', 'evil\u202Egnp', '\ud800']) {
    const res = await post(app, '/Product/add', { ProductName: bad })
    t.same([res.statusCode, res.json().ErrorCode], [400, 1001], JSON.stringify(bad))
    t.match(res.json().Description, /^body\/ProductName /)
  }
  const { productId } = await seedPlan(app, null, { product: 'P', plan: NFD })
  t.equal((await app.db.selectFrom('plans').select('name').where('product_id', '=', productId).executeTakeFirstOrThrow()).name, NFC)
  t.equal((await post(app, '/Plan/add', { ProductID: productId, PlanName: NFC })).json().ErrorCode, 1003)
  const bad = await post(app, '/Plan/add', { ProductID: productId, PlanName: 'a\u2067b' })
  t.same([bad.json().ErrorCode, bad.json().Description.startsWith('body/PlanName ')], [1001, true])
})
