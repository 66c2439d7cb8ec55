import t from 'tap'
import { errorText, htmlToText, logExcerpt, stripAnsi } from '../../src/lib/log-excerpt.js'

t.test('escapes go: colours, OSC hyperlinks, Jenkins console notes; a line redrawn with \\r keeps its last state', async (t) => {
  t.equal(stripAnsi('\u001b[1;31mred\u001b[0m plain'), 'red plain')
  t.equal(stripAnsi('\u001b]8;;http://x\u0007link\u001b]8;;\u0007'), 'link')
  t.equal(stripAnsi('\u001b[8mha:////4ABCD+/=\u001b[0m[Pipeline] sh'), '[Pipeline] sh')
  t.equal(stripAnsi('10%\r50%\r100%\r\nnext\r\n'), '100%\nnext\n')
})

t.test('an excerpt keeps the last 200 lines and says it cut; a cut text loses its partial first line', async (t) => {
  const lines = Array.from({ length: 250 }, (_, i) => `l${i}`)
  const e = logExcerpt(lines.join('\n') + '\n')
  t.equal(e.text.split('\n').length, 200)
  t.equal(e.text.split('\n')[0], 'l50')
  t.equal(e.truncated, true)
  t.same(logExcerpt('a\nb\n'), { text: 'a\nb', truncated: false })
  t.same(logExcerpt('rtial\nb\n', true), { text: 'b', truncated: true })
  t.same(logExcerpt(''), { text: '', truncated: false })
})

t.test('errors are trimmed and bounded; HTML logs become text', async (t) => {
  t.equal(errorText(undefined), '')
  t.equal(errorText('  \u001b[31mboom\u001b[0m\n'), 'boom')
  t.ok(Buffer.byteLength(errorText('é'.repeat(10_000))) <= 8 * 1024)
  t.notMatch(errorText('é'.repeat(10_000)), /\uFFFD/)
  t.equal(htmlToText('<span class="x">a &lt;b&gt; &amp; &#39;c&#x27; &#99999999;</span>'), "a <b> & 'c' ")
})
