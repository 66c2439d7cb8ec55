import t from 'tap'
import { createToken } from '../../src/repositories/tokens.js'
import { appWithBuilds, buildInfo, get, post } from '../helper.js'

// Build/add records who started a build (the token's name) and which build it repeats (RebuildOf).

t.test('open mode: StartedBy null, RebuildOf recorded and validated', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  t.match(await buildInfo(app, planId, 1), { StartedBy: null, RebuildOf: null })
  const again = await post(app, '/Build/add', { DevOpsPlanID: planId, RebuildOf: 1 })
  t.equal(again.json().ErrorCode, 1000)
  t.match(await buildInfo(app, planId, 2), { StartedBy: null, RebuildOf: 1 }, 'a rebuild names the build it repeats')
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId, RebuildOf: '2' })).json().ErrorCode, 1000, 'digits as a string')
  t.equal((await buildInfo(app, planId, 3)).RebuildOf, 2)

  const missing = await post(app, '/Build/add', { DevOpsPlanID: planId, RebuildOf: 99 })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().ErrorCode, 1002)
  t.match(missing.json().Description, /RebuildOf/)
  for (const bad of [0, -1, 'x', 1.5, true]) {
    const res = await post(app, '/Build/add', { DevOpsPlanID: planId, RebuildOf: bad })
    t.equal(res.json().ErrorCode, 1001, `RebuildOf ${JSON.stringify(bad)} is invalid`)
  }
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId })).json().TotalCount, 3, 'a refused RebuildOf records nothing')

  // another plan's build is not this plan's
  const other = (await post(app, '/Plan/add', { ProductID: 1, PlanName: 'Other', JobName: 'Test' })).json().DevOpsPlanID
  const res = await post(app, '/Build/add', { DevOpsPlanID: other, RebuildOf: 1 })
  t.equal(res.json().ErrorCode, 1002, 'RebuildOf names a build of the same plan')
})

t.test('closed: StartedBy is the calling token\'s name, in Build/info and Build/list; whoami answers name and role', async (t) => {
  const { app, planId } = await appWithBuilds(t, 0)
  const lead = await createToken(app.db, 'lead 张三', 'trigger')
  const reader = await createToken(app.db, 'wall', 'read')
  const hook = await createToken(app.db, 'jenkins-hook', 'callback')
  app.tokens.reset()
  const as = (token: string) => ({ authorization: `Bearer ${token}` })
  t.equal((await post(app, '/Build/add', { DevOpsPlanID: planId }, as(lead))).json().ErrorCode, 1000)
  t.equal((await buildInfo(app, planId, 1, as(reader))).StartedBy, 'lead 张三')
  const list = (await get(app, '/Build/list', { DevOpsPlanID: planId }, as(reader))).json()
  t.match(list.BuildList[0], { BuildIndex: 1, StartedBy: 'lead 张三', RebuildOf: null })

  t.same((await get(app, '/Token/whoami', {}, as(lead))).json(), { ErrorCode: 1000, Description: 'OK', Name: 'lead 张三', Role: 'trigger' })
  t.match((await get(app, '/Token/whoami', {}, as(hook))).json(), { Name: 'jenkins-hook', Role: 'callback' }, 'any valid token')
  const none = await get(app, '/Token/whoami')
  t.equal(none.statusCode, 401)
  t.equal(none.json().ErrorCode, 1004)
})

t.test('whoami in open mode: nobody, admin', async (t) => {
  const { app } = await appWithBuilds(t, 0)
  t.same((await get(app, '/Token/whoami')).json(), { ErrorCode: 1000, Description: 'OK', Name: null, Role: 'admin' })
})
