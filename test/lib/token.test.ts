import t from 'tap'
import { tokenFrom } from '../../src/lib/token.js'

t.test('tokenFrom: Bearer, then X-TestCloud-Token, then ?token= only where allowed', async (t) => {
  t.equal(tokenFrom({ headers: { authorization: 'Bearer abc' } }), 'abc')
  t.equal(tokenFrom({ headers: { authorization: 'bearer  abc  ' } }), 'abc', 'any case, spaces around')
  t.equal(tokenFrom({ headers: { 'x-testcloud-token': 'xyz' } }), 'xyz')
  t.equal(tokenFrom({ headers: { authorization: 'Bearer abc', 'x-testcloud-token': 'xyz' } }), 'abc', 'Bearer wins')
  t.equal(tokenFrom({ headers: {}, query: { token: 'q' } }), undefined, 'the query string is ignored by default')
  t.equal(tokenFrom({ headers: {}, query: { token: 'q' } }, { allowQuery: true }), 'q')
  t.equal(tokenFrom({ headers: { 'x-testcloud-token': 'h' }, query: { token: 'q' } }, { allowQuery: true }), 'h',
    'a header wins over the query string, so one request is always keyed on one token')
})

t.test('tokenFrom: empty or malformed values count as absent', async (t) => {
  t.equal(tokenFrom({ headers: { 'x-testcloud-token': '' } }), undefined)
  t.equal(tokenFrom({ headers: { 'x-testcloud-token': '   ' } }), undefined)
  t.equal(tokenFrom({ headers: { authorization: 'Bearer ' } }), undefined)
  t.equal(tokenFrom({ headers: { authorization: 'Basic abc' } }), undefined)
  t.equal(tokenFrom({ headers: { authorization: 'Bearer a b' } }), undefined, 'a token has no spaces')
  t.equal(tokenFrom({ headers: {}, query: { token: '' } }, { allowQuery: true }), undefined)
  t.equal(tokenFrom({ headers: {}, query: { token: ['a', 'b'] } }, { allowQuery: true }), undefined, 'a repeated parameter is not a token')
})
