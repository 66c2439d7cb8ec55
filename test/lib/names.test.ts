import t from 'tap'
import { normalizeName } from '../../src/lib/names.js'
import { appWithBuilds, build, post, seedPlan } from '../helper.js'

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

// U+FB2C (shin with dagesh and shin dot) is excluded from composition: NFC writes it as three code points
const SHIN = '\uFB2C'

t.test('normalizeName: a name NFC makes longer than 128 characters is 1001 naming the field', async (t) => {
  t.throws(() => normalizeName(SHIN.repeat(128), 'body/ProductName'),
    { errorCode: 1001, message: /^body\/ProductName is 384 characters long once NFC-normalized \(at most 128\)/ })
  t.equal([...normalizeName(SHIN.repeat(42) + 'ab', 'f')].length, 128, 'exactly 128 once normalized')
  t.equal(normalizeName('😀'.repeat(128), 'f').length, 256, 'code points count, not UTF-16 units')
})

t.test('product and plan names NFC makes too long: 1001, nothing stored; 128 characters are stored', async (t) => {
  const app = await build(t)
  const long = SHIN.repeat(128)
  const fits = SHIN.repeat(42) + 'ab'
  const refused = async (route: string, body: object, field: string): Promise<void> => {
    const res = await post(app, route, body)
    t.same([res.statusCode, res.json().ErrorCode], [400, 1001], `${route} ${field}`)
    t.match(res.json().Description, new RegExp(`^body/${field} is 384 characters long once NFC-normalized`))
  }
  await refused('/Product/add', { ProductName: long }, 'ProductName')
  t.same(await app.db.selectFrom('products').select('name').execute(), [])
  const product = (await post(app, '/Product/add', { ProductName: fits })).json()
  t.equal(product.ErrorCode, 1000)
  t.equal((await app.db.selectFrom('products').select('name').executeTakeFirstOrThrow()).name, fits.normalize('NFC'))
  await refused('/Product/update', { ProductID: product.ProductID, ProductName: long }, 'ProductName')
  await refused('/Plan/add', { ProductID: product.ProductID, PlanName: long }, 'PlanName')
  const { planId } = await seedPlan(app, null, { product: 'P', plan: fits })
  await refused('/Plan/update', { DevOpsPlanID: planId, PlanName: long }, 'PlanName')
})

t.test('stage names NFC makes too long: 1001, nothing stored; 128 characters are stored', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const long = SHIN.repeat(128)
  const fits = SHIN.repeat(42) + 'ab'
  const stage = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: long, Status: 'running' })
  t.same([stage.statusCode, stage.json().ErrorCode], [400, 1001])
  t.match(stage.json().Description, /StageName is 384 characters long once NFC-normalized/)
  const ok = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: fits, Status: 'running' })
  t.equal(ok.json().ErrorCode, 1000)
  const pre = await post(app, '/Build/update',
    { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Next', Status: 'running', PreStageName: [long] })
  t.same([pre.statusCode, pre.json().ErrorCode], [400, 1001])
  t.match(pre.json().Description, /PreStageName is 384 characters long/)
  const stages = await app.db.selectFrom('stages').select('name').execute()
  t.same(stages.map((s) => s.name), [fits.normalize('NFC')])
})
