import t from 'tap'
import { appWithBuilds, get, post } from '../helper.js'

t.test('Build/list: newest first, paged, TotalCount counts all matches, Status filter with synonyms', async (t) => {
  const { app, planId } = await appWithBuilds(t, 7)
  // builds 2 and 5 fail, 3 passes
  for (const [BuildIndex, Status] of [[2, 'failed'], [5, 'FAILURE'], [3, 'success']] as const) {
    await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex, Status })
  }
  const all = (await get(app, '/Build/list', { DevOpsPlanID: planId })).json()
  t.equal(all.ErrorCode, 1000)
  t.equal(all.TotalCount, 7)
  t.same(all.BuildList.map((b: { BuildIndex: number }) => b.BuildIndex), [7, 6, 5, 4, 3, 2, 1])
  t.match(all.BuildList[0], { BuildIndex: 7, Status: 'Queued', StartTime: null })
  t.match(all.BuildList.find((b: { BuildIndex: number }) => b.BuildIndex === 3), { Status: 'Pass', StartTime: Number })

  const page2 = (await get(app, '/Build/list', { DevOpsPlanID: planId, PageIndex: 2, PageSize: 3 })).json()
  t.equal(page2.TotalCount, 7)
  t.same(page2.BuildList.map((b: { BuildIndex: number }) => b.BuildIndex), [4, 3, 2])
  const page3 = (await get(app, '/Build/list', { DevOpsPlanID: planId, PageIndex: '3', PageSize: '3' })).json()
  t.same(page3.BuildList.map((b: { BuildIndex: number }) => b.BuildIndex), [1])
  const beyond = (await get(app, '/Build/list', { DevOpsPlanID: planId, PageIndex: 9, PageSize: 3 })).json()
  t.same([beyond.TotalCount, beyond.BuildList], [7, []])

  const failed = (await get(app, '/Build/list', { DevOpsPlanID: planId, Status: 'Fail' })).json()
  t.equal(failed.TotalCount, 2)
  t.same(failed.BuildList.map((b: { BuildIndex: number }) => b.BuildIndex), [5, 2])
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId, Status: 'failure' })).json().TotalCount, 2, 'synonym')
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId, Status: 'QUEUED', PageSize: 1 })).json().TotalCount, 4)
  t.equal((await get(app, '/Build/list', { DevOpsPlanID: planId, PageSize: 500 })).json().BuildList.length, 7)
})

t.test('Build/list: bad parameters are 1001 naming the field; unknown plan is 1002', async (t) => {
  const { app, planId } = await appWithBuilds(t, 0)
  const bad: Array<[Record<string, string | number>, RegExp]> = [
    [{}, /DevOpsPlanID/],
    [{ DevOpsPlanID: 'abc' }, /DevOpsPlanID/],
    [{ DevOpsPlanID: planId, PageSize: 501 }, /PageSize/],
    [{ DevOpsPlanID: planId, PageSize: 0 }, /PageSize/],
    [{ DevOpsPlanID: planId, PageSize: '5x' }, /PageSize/],
    [{ DevOpsPlanID: planId, PageIndex: 0 }, /PageIndex/],
    [{ DevOpsPlanID: planId, PageIndex: '-2' }, /PageIndex/],
    [{ DevOpsPlanID: planId, PageIndex: '1.5' }, /PageIndex/],
    [{ DevOpsPlanID: planId, Status: 'green' }, /Status/],
    [{ DevOpsPlanID: planId, Status: '' }, /Status/]
  ]
  for (const [q, field] of bad) {
    const res = await get(app, '/Build/list', q)
    t.equal(res.statusCode, 400, JSON.stringify(q))
    t.match(res.json(), { ErrorCode: 1001, Description: field })
  }
  const unknown = await get(app, '/Build/list', { DevOpsPlanID: planId + 1 })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().ErrorCode, 1002)
  t.same((await get(app, '/Build/list', { DevOpsPlanID: planId })).json(), { ErrorCode: 1000, Description: 'OK', TotalCount: 0, BuildList: [] })
})

t.test('Build/info: 1002 for an unknown build, 1001 for bad fields', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 2 })).json().ErrorCode, 1002)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 'x' })).json().ErrorCode, 1001)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId })).json().ErrorCode, 1001)
})
