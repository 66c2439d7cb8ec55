import t from 'tap'
import { build, fakeJenkins, freshDatabase, get, post } from '../helper.js'

// Plan/overview (the dashboard's home in one request) and Plan/grid (last builds × stages), both
// cached by versions that every process's writes move: two apps on one database show it.

async function twoApps (t: Parameters<typeof build>[0]) {
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const DATABASE_URL = await freshDatabase(t)
  const a = await build(t, { env: { ...env, DATABASE_URL } })
  const b = await build(t, { env: { ...env, DATABASE_URL } })
  return { a, b }
}

t.test('overview: every plan with its newest build and running count, running builds, latest failures; fresh after writes elsewhere', async (t) => {
  const { a, b } = await twoApps(t)
  const p1 = (await post(a, '/Product/add', { ProductName: '支付中心' })).json().ProductID
  const p2 = (await post(a, '/Product/add', { ProductName: 'UShop' })).json().ProductID
  const smoke = (await post(a, '/Plan/add', { ProductID: p1, PlanName: '冒烟', JobName: 'Test' })).json().DevOpsPlanID
  const deploy = (await post(a, '/Plan/add', { ProductID: p1, PlanName: '部署', JobName: 'Test' })).json().DevOpsPlanID
  const idle = (await post(a, '/Plan/add', { ProductID: p2, PlanName: 'Idle', JobName: 'Test' })).json().DevOpsPlanID

  for (let i = 0; i < 3; i++) t.equal((await post(a, '/Build/add', { DevOpsPlanID: smoke })).json().ErrorCode, 1000)
  t.equal((await post(a, '/Build/add', { DevOpsPlanID: deploy })).json().ErrorCode, 1000)
  const upd = async (plan: number, index: number, Status: string, StageName?: string) =>
    t.equal((await post(b, '/Build/update', { DevOpsPlanID: plan, BuildIndex: index, Status, StageName })).json().ErrorCode, 1000)
  await upd(smoke, 1, 'fail')
  await upd(smoke, 2, 'running')

  const first = await get(a, '/Plan/overview')
  const o = first.json()
  t.equal(o.ErrorCode, 1000)
  t.same(o.PlanList.map((p: { PlanName: string }) => p.PlanName), ['冒烟', '部署', 'Idle'], 'every plan, by product then plan')
  const bySmoke = o.PlanList[0]
  t.match(bySmoke, { ProductName: '支付中心', DevOpsPlanID: smoke, Active: 2, LastBuild: { BuildIndex: 3, Status: 'Queued', StartedBy: null } })
  t.equal(o.PlanList[2].LastBuild, null, 'a plan without builds')
  t.equal(o.PlanList[2].DevOpsPlanID, idle)
  t.same(o.RunningList.map((r: { DevOpsPlanID: number, BuildIndex: number }) => `${r.DevOpsPlanID}/${r.BuildIndex}`).sort(),
    [`${smoke}/2`, `${smoke}/3`, `${deploy}/1`].sort(), 'the builds not ended')
  t.same(o.FailureList.map((r: { BuildIndex: number, Status: string }) => [r.BuildIndex, r.Status]), [[1, 'Fail']])

  // a write by the other app: the next read here shows it (and the ETag moves)
  await upd(deploy, 1, 'unstable')
  const second = await get(a, '/Plan/overview')
  t.not(second.headers.etag, first.headers.etag)
  t.match(second.json().PlanList[1], { Active: 0, LastBuild: { Status: 'Unstable' } })
  t.equal(second.json().FailureList.length, 2, 'Unstable counts as a failure')
  t.equal((await get(a, '/Plan/overview', {}, { 'if-none-match': String(second.headers.etag) })).statusCode, 304)
  // a renamed product shows too (the catalog version)
  t.equal((await post(b, '/Product/update', { ProductID: p1, ProductName: '支付中心2' })).json().ErrorCode, 1000)
  t.equal((await get(a, '/Plan/overview')).json().PlanList[0].ProductName, '支付中心2')
})

t.test('grid: last builds × stages, newest first; a stage change elsewhere shows; Last bounded; unknown plan', async (t) => {
  const { a, b } = await twoApps(t)
  const p = (await post(a, '/Product/add', { ProductName: 'P' })).json().ProductID
  const plan = (await post(a, '/Plan/add', { ProductID: p, PlanName: 'Q', JobName: 'Test' })).json().DevOpsPlanID
  for (let i = 0; i < 3; i++) await post(a, '/Build/add', { DevOpsPlanID: plan })
  await post(b, '/Build/update', { DevOpsPlanID: plan, BuildIndex: 1, StageName: 'Build', Status: 'success' })
  await post(b, '/Build/update', { DevOpsPlanID: plan, BuildIndex: 1, StageName: 'Test', Status: 'running' })
  const g = (await get(a, '/Plan/grid', { DevOpsPlanID: plan, Last: 2 })).json()
  t.same(g.BuildList.map((x: { BuildIndex: number }) => x.BuildIndex), [3, 2], 'newest first, Last builds')
  t.same(g.BuildList[0].Parameter, [], 'parameters without the injected DevOpsPlanID and BuildIndex')
  const all = (await get(a, '/Plan/grid', { DevOpsPlanID: plan })).json()
  t.match(all.BuildList[2].StageList, [{ StageID: 1, StageName: 'Build', Status: 'Pass', PreStageID: [] }, { StageID: 2, StageName: 'Test', Status: 'Running', PreStageID: [1] }])
  // a stage change alone (no build status change) is seen
  await post(b, '/Build/update', { DevOpsPlanID: plan, BuildIndex: 1, StageName: 'Test', Status: 'failed' })
  t.equal((await get(a, '/Plan/grid', { DevOpsPlanID: plan })).json().BuildList[2].StageList[1].Status, 'Fail')
  // the page Build/list shows, with its filter: a row on any page gets its parameters and strip
  const page = async (q: Record<string, unknown>) => (await get(a, '/Plan/grid', { DevOpsPlanID: plan, ...q })).json()
    .BuildList.map((x: { BuildIndex: number }) => x.BuildIndex)
  t.same(await page({ Last: 2, PageIndex: 2 }), [1], 'the second page of two')
  t.same(await page({ Status: 'Queued' }), [3, 2], 'only Queued builds')
  t.same(await page({ Status: 'Queued', Last: 1, PageIndex: 2 }), [2], 'the second page of Queued builds')
  const listed = (await get(a, '/Build/list', { DevOpsPlanID: plan, Status: 'Queued', PageSize: 1, PageIndex: 2 })).json()
  t.same(listed.BuildList.map((x: { BuildIndex: number }) => x.BuildIndex), [2], 'as Build/list pages them')
  await post(b, '/Build/update', { DevOpsPlanID: plan, BuildIndex: 2, Status: 'running' })
  t.same(await page({ Status: 'Queued' }), [3], 'a status change elsewhere moves a filtered page')
  t.equal((await get(a, '/Plan/grid', { DevOpsPlanID: plan, Status: 'Nope' })).json().ErrorCode, 1001, 'unknown Status')
  t.equal((await get(a, '/Plan/grid', { DevOpsPlanID: plan, PageIndex: 0 })).json().ErrorCode, 1001, 'PageIndex 0')
  for (const Last of [0, 51, 'x']) t.equal((await get(a, '/Plan/grid', { DevOpsPlanID: plan, Last })).json().ErrorCode, 1001, `Last=${Last}`)
  const none = await get(a, '/Plan/grid', { DevOpsPlanID: 999 })
  t.equal(none.statusCode, 404)
  t.equal(none.json().ErrorCode, 1002)
})
