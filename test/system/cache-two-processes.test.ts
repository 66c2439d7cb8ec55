import t from 'tap'
import { freshDatabase, get, post } from '../helper.js'
import { spawnServer } from '../fixtures/server-process.js'

// The read caches (Product/list, Plan/list, Build/list, Build/info, Stage/info) are per process and
// validated by versions in the database: after a write through process A, process B, whose caches
// hold the old answers, must answer the new ones at once (issue 14).
t.test('no stale answer on process B after a write through process A', async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const a = await spawnServer(t, { DATABASE_URL })
  const b = await spawnServer(t, { DATABASE_URL })

  const { ProductID } = (await post(a.url, '/Product/add', { ProductName: 'UShop' })).json()
  t.same((await get(b.url, '/Product/list')).json().ProductList, [{ ProductID, ProductName: 'UShop' }], 'B caches the list')
  await post(a.url, '/Product/update', { ProductID, ProductName: '优选商城' })
  t.same((await get(b.url, '/Product/list')).json().ProductList, [{ ProductID, ProductName: '优选商城' }], 'a rename on A is seen on B')
  await post(a.url, '/Product/add', { ProductName: 'RMM' })
  t.equal((await get(b.url, '/Product/list')).json().TotalCount, 2, 'an addition on A is seen on B')

  const { DevOpsPlanID } = (await post(a.url, '/Plan/add', { ProductID, PlanName: 'api', JobName: 'UShop/api' })).json()
  t.equal((await get(b.url, '/Plan/list', { ProductID })).json().PlanList[0].JobName, 'UShop/api')
  await post(a.url, '/Plan/update', { DevOpsPlanID, JobName: 'UShop/api-v2' })
  t.equal((await get(b.url, '/Plan/list', { ProductID })).json().PlanList[0].JobName, 'UShop/api-v2', 'a plan change on A is seen on B')

  // a build (no Jenkins here): recorded the way Build/add records one, through the repository
  const { Kysely } = await import('kysely')
  const { createDialect } = await import('../../db/dialect.js')
  const { recordBuild } = await import('../../src/repositories/builds.js')
  const db = new Kysely<any>({ dialect: await createDialect(DATABASE_URL) })
  t.teardown(async () => { await db.destroy() })
  t.same((await get(b.url, '/Build/list', { DevOpsPlanID })).json().BuildList, [], 'B caches an empty list')
  await recordBuild(db, DevOpsPlanID, 'UShop/api-v2', null, (i) => [{ name: 'BuildIndex', value: String(i) }])
  t.match((await get(b.url, '/Build/list', { DevOpsPlanID })).json(), { TotalCount: 1, BuildList: [{ BuildIndex: 1, Status: 'Queued' }] }, 'a new build is seen on B')

  const q = { DevOpsPlanID, BuildIndex: 1 }
  const passed = { DevOpsPlanID, Status: 'Pass' }
  t.equal((await get(b.url, '/Build/info', q)).json().Build.Status, 'Queued')
  t.equal((await get(b.url, '/Stage/info', q)).json().StageCount, 0)
  t.equal((await get(b.url, '/Build/list', passed)).json().TotalCount, 0)
  const etag = (await get(b.url, '/Build/info', q)).headers.etag as string
  t.equal((await get(b.url, '/Build/info', q, { 'if-none-match': etag })).statusCode, 304, 'unchanged: 304')

  await post(a.url, '/Build/update', { ...q, StageName: 'Build', Status: 'running' })
  t.equal((await get(b.url, '/Build/info', q)).json().Build.Status, 'Running', 'Build/info on B follows A')
  t.match((await get(b.url, '/Stage/info', q)).json().StageList, [{ StageName: 'Build', Status: 'Running' }], 'Stage/info on B follows A')
  t.match((await get(b.url, '/Build/list', { DevOpsPlanID })).json().BuildList, [{ BuildIndex: 1, Status: 'Running' }], 'Build/list on B follows A')
  t.equal((await get(b.url, '/Build/info', q, { 'if-none-match': etag })).statusCode, 200, 'changed: the old ETag no longer matches')

  await post(a.url, '/Build/update', { ...q, StageName: 'Build', Status: 'success', Detail: { URL: 'http://jenkins/job/api/1/' } })
  t.match((await get(b.url, '/Stage/info', q)).json().StageList, [{ StageName: 'Build', Status: 'Pass', Detail: { URL: 'http://jenkins/job/api/1/' } }])
  await post(a.url, '/Build/update', { ...q, Status: 'success' })
  const list = (await get(b.url, '/Build/list', passed)).json()
  t.match(list, { TotalCount: 1, BuildList: [{ BuildIndex: 1, Status: 'Pass' }] }, 'the status filter on B follows A')
  t.type(list.BuildList[0].EndTime, 'number', 'with its end time')
  t.equal((await get(b.url, '/Build/info', q)).json().Build.Status, 'Pass')
})
