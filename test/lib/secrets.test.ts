import t from 'tap'
import { redactUrl } from '../../src/lib/secrets.js'
import { checkJobName } from '../../src/lib/job-name.js'
import { errorCode } from '../../src/lib/error-code.js'

// issue 12 point 10: the webhook's secret is masked however the key is written
t.test('redactUrl masks token-like keys anywhere in the query, however spelt', async (t) => {
  t.equal(redactUrl('/Webhook/jenkins?token=SECRET'), '/Webhook/jenkins?token=[REDACTED]')
  t.equal(redactUrl('/Webhook/jenkins?src=ci&token=SECRET'), '/Webhook/jenkins?src=ci&token=[REDACTED]')
  t.equal(redactUrl('/Webhook/jenkins?%74oken=SECRET'), '/Webhook/jenkins?%74oken=[REDACTED]')
  t.equal(redactUrl('/Webhook/jenkins?a=1&%54OKEN=SECRET&b=2#x'), '/Webhook/jenkins?a=1&%54OKEN=[REDACTED]&b=2#x')
  t.equal(redactUrl('/x?tok%en=1&api_key=K'), '/x?tok%en=1&api_key=[REDACTED]', 'a malformed key is left, the rest still masked')
  t.equal(redactUrl('/Build/list?DevOpsPlanID=1'), '/Build/list?DevOpsPlanID=1')
  t.equal(redactUrl('/healthz'), '/healthz')
})

t.test('checkJobName refuses path tricks and URLs', async (t) => {
  for (const bad of ['a//b', '/a', 'a/', '.', '..', 'a/../b', 'a/./b', 'a/ .. /b', 'http://jenkins/job/x']) {
    t.throws(() => checkJobName(bad), /JobName/, bad)
  }
  for (const good of ['Test', 'folder/sub/job', 'a.b', '..a', 'b c']) t.doesNotThrow(() => checkJobName(good), good)
})

// issue 12 point 5: an error's text (which can quote a URL with its password) is never passed on
t.test('errorCode: the code, never the message', async (t) => {
  const undici = new TypeError('Request cannot be constructed from a URL that includes credentials: http://u:hunter2@jenkins/')
  t.equal(errorCode(undici), 'invalid request')
  t.equal(errorCode(Object.assign(new TypeError('fetch failed http://u:hunter2@x'), { cause: { code: 'ECONNREFUSED' } })), 'ECONNREFUSED')
  t.equal(errorCode({ code: 'has spaces: http://u:p@x' }), 'no error code')
})
