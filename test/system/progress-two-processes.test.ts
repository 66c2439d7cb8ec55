import t from 'tap'
import { spawnServer } from '../fixtures/server-process.js'
import { DIALECT, fakeJenkins, freshDatabase, get, post, type Reply } from '../helper.js'

// applyProgress runs each update in one transaction that first locks the build row. In one process
// on SQLite every request shares one connection, so "concurrent" updates never interleave and the
// in-process tests pass without the transaction; two server processes on one database do
// interleave (issue 12 point 19). Each round alternates the processes for every call.
const N = 100

t.test(`${N} concurrent Build/update of one build over two server processes`, async (t) => {
  const DATABASE_URL = await freshDatabase(t)
  const { jenkins, env } = await fakeJenkins(t)
  jenkins.addJob({ name: 'Test', parameters: { DevOpsPlanID: '', BuildIndex: '' } })
  const common = { ...env, DATABASE_URL, RATE_LIMIT_PER_MINUTE: '0', POLL_INTERVAL_MS: '3600000' }
  const servers = await Promise.all([spawnServer(t, common), spawnServer(t, common)])
  const via = (i: number): string => servers[i % 2].url
  const { ProductID } = (await post(via(0), '/Product/add', { ProductName: 'UShop' })).json()
  const { DevOpsPlanID } = (await post(via(1), '/Plan/add', { ProductID, PlanName: 'UShopApi', JobName: 'Test' })).json()
  t.equal((await post(via(0), '/Build/add', { DevOpsPlanID })).json().BuildIndex, 1)
  const update = async (i: number, body: Record<string, unknown>) => await post(via(i), '/Build/update', { DevOpsPlanID, BuildIndex: 1, ...body })
  const failed = (answers: Reply[]) => answers.filter((r) => r.statusCode !== 200 || r.json().ErrorCode !== 1000).map((r) => `${r.statusCode} ${r.body}`)
  const stageList = async () => (await get(via(0), '/Stage/info', { DevOpsPlanID, BuildIndex: 1 })).json().StageList as Array<Record<string, any>>
  const problems: Record<string, number> = {}

  await t.test('parallel branches reported for the first time: distinct StageIDs, one after the other', async (t) => {
    t.equal((await update(0, { StageName: 'Build', Status: 'pass' })).json().ErrorCode, 1000)
    const answers = await Promise.all(Array.from({ length: N }, async (_, i) => await update(i, { StageName: `branch-${i}`, Status: 'running', PreStageName: ['Build'] })))
    problems.branches = failed(answers).length
    t.same(failed(answers), [], 'every update answered 1000')
    const list = await stageList()
    t.same(list.map((s) => s.StageID), Array.from({ length: N + 1 }, (_, i) => i + 1), `StageIDs 1..${N + 1}, no gap, no duplicate`)
    t.same(new Set(list.map((s) => s.StageName)), new Set(['Build', ...Array.from({ length: N }, (_, i) => `branch-${i}`)]))
    t.ok(list.slice(1).every((s) => JSON.stringify(s.PreStageID) === '[1]'), 'each branch follows Build')
  })

  await t.test('Detail keys sent at once to one stage and to the build: merged, none lost', async (t) => {
    const answers = await Promise.all(Array.from({ length: N }, async (_, i) => await Promise.all([
      update(i, { StageName: 'branch-0', Status: 'running', Detail: { [`k${i}`]: i } }),
      update(i + 1, { Status: 'running', Detail: { [`k${i}`]: i } })
    ]))).then((pairs) => pairs.flat())
    t.same(failed(answers), [], 'every update answered 1000')
    const expected = Object.fromEntries(Array.from({ length: N }, (_, i) => [`k${i}`, i]))
    const stage = (await stageList()).find((s) => s.StageName === 'branch-0')
    const build = (await get(via(1), '/Build/info', { DevOpsPlanID, BuildIndex: 1 })).json().Build
    problems.stageKeysLost = N - Object.keys(stage?.Detail ?? {}).filter((k) => k in expected).length
    problems.buildKeysLost = N - Object.keys(build.Detail).filter((k) => k in expected).length
    t.match(stage?.Detail, expected, 'the stage kept every key')
    t.match(build.Detail, expected, 'the build kept every key')
  })

  await t.test('the history has one event per accepted change', async (t) => {
    const events = (await get(via(0), '/Build/events', { DevOpsPlanID, BuildIndex: 1, PageSize: 500 })).json().EventList as Array<{ EventID: number, StageName: string }>
    t.same(events.map((e) => e.EventID), [...events.map((e) => e.EventID)].sort((a, b) => a - b), 'in order')
    // Queued, Build→Pass with the build Running, N branches, then N stage and N build Detail changes
    t.equal(events.length, 1 + 2 + N + 2 * N)
  })

  await t.test('many builds updated at once from both processes, in opposite orders: every write lands once', async (t) => {
    // each process commits the writes of one event-loop turn together, locking their builds in key
    // order; here one process gets the builds in ascending and the other in descending order
    const builds = 8
    for (let i = 2; i <= builds + 1; i++) t.equal((await post(via(i), '/Build/add', { DevOpsPlanID })).json().BuildIndex, i)
    const indexes = Array.from({ length: builds }, (_, i) => i + 2)
    const answers = await Promise.all([0, 1].flatMap((p) => (p === 0 ? indexes : [...indexes].reverse()).flatMap((b) =>
      ['Checkout', 'Build', 'Test'].map(async (stage) =>
        await post(servers[p].url, '/Build/update', { DevOpsPlanID, BuildIndex: b, StageName: `${stage}-${p}`, Status: 'running' })))))
    t.same(failed(answers), [], 'every update answered 1000 (no deadlock reached a client)')
    for (const b of indexes) {
      const list = (await get(via(b), '/Stage/info', { DevOpsPlanID, BuildIndex: b })).json().StageList as Array<{ StageID: number, StageName: string }>
      t.same(list.map((s) => s.StageID), [1, 2, 3, 4, 5, 6], `build ${b}: six stages, StageIDs 1..6`)
      t.same(new Set(list.map((s) => s.StageName)), new Set(['Checkout', 'Build', 'Test'].flatMap((n) => [`${n}-0`, `${n}-1`])))
    }
  })
  t.comment(`progress over 2 processes (${DIALECT}): ${JSON.stringify(problems)}`)
})
