import t from 'tap'
import { appWithBuilds, get, post } from '../helper.js'

t.test('60 concurrent Build/add on one plan: indexes exactly 1..60', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 0)
  const answers = await Promise.all(Array.from({ length: 60 }, async () => (await post(app, '/Build/add', { DevOpsPlanID: planId })).json()))
  t.ok(answers.every((a) => a.ErrorCode === 1000), 'all accepted')
  t.same(answers.map((a) => a.BuildIndex).sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1))
  const triggered = [...jenkins.queue.values()].map((q) => Number(q.params.BuildIndex)).sort((a, b) => a - b)
  t.same(triggered, Array.from({ length: 60 }, (_, i) => i + 1), 'each index was triggered once')
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 60)
})
