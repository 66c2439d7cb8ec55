import t from 'tap'
import { ACCEPTED_WORDS, parseStatus, STATUSES } from '../../src/status.js'
import { appWithBuilds, get, post } from '../helper.js'

const stages = async (app: Parameters<typeof get>[0], planId: number, buildIndex = 1) =>
  (await get(app, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: buildIndex })).json()

t.test('the seed\'s flow: stages created in order, each after the previous, build goes Running', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const url = 'http://jenkins/job/Test/7/console'
  const r1 = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'running', Detail: { URL: url } })
  t.same(r1.json(), { ErrorCode: 1000, Description: 'OK' })
  const build = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
  t.equal(build.Status, 'Running', 'a Queued build becomes Running on its first stage')
  t.type(build.StartTime, 'number')

  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'success' })
  await post(app, '/Build/update', { DevOpsPlanID: String(planId), BuildIndex: '1', StageName: 'Test', Status: 'IN_PROGRESS' })

  const info = await stages(app, planId)
  t.match(info, {
    ErrorCode: 1000,
    Description: 'OK',
    StageCount: 2,
    StageList: [
      { StageID: 1, StageName: 'Build', PreStageID: [], Status: 'Pass', Detail: { URL: url }, StartTime: Number, EndTime: Number },
      { StageID: 2, StageName: 'Test', PreStageID: [1], Status: 'Running', Detail: {}, StartTime: Number, EndTime: null }
    ]
  })
  t.ok(info.StageList[0].EndTime >= info.StageList[0].StartTime)
  t.ok(Math.abs(info.StageList[0].StartTime - Date.now() / 1000) < 60, 'times are epoch seconds')

  // the pipeline reports its final result without a StageName
  t.equal((await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: '', Status: 'SUCCESS' })).json().ErrorCode, 1000)
  const done = (await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build
  t.equal(done.Status, 'Pass')
  t.type(done.EndTime, 'number')
  t.equal((await stages(app, planId)).StageCount, 2, 'a build-level update adds no stage')
})

t.test('every synonym maps to its canonical status, in any case', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  // the table of docs/API.md § Statuses, written out independently of src/status.ts
  const contract: Record<string, string[]> = {
    Queued: ['pending', 'waiting', 'queued'],
    Running: ['running', 'in_progress', 'started', 'building'],
    Pass: ['pass', 'passed', 'success', 'succeeded', 'ok'],
    Fail: ['fail', 'failed', 'failure', 'error'],
    Aborted: ['aborted', 'cancelled', 'canceled'],
    Unstable: ['unstable'],
    Skipped: ['skipped', 'not_executed', 'not_built'],
    Paused: ['paused', 'paused_pending_input']
  }
  t.same([...ACCEPTED_WORDS].sort(), Object.values(contract).flat().sort())
  for (const [canonical, words] of Object.entries(contract)) {
    for (const w of words) t.equal(parseStatus(w), canonical, `${w} is ${canonical}`)
    t.equal(parseStatus(canonical), canonical, 'the canonical name itself is accepted')
  }
  let i = 0
  for (const word of ACCEPTED_WORDS) {
    for (const spelled of [word, word.toUpperCase(), ` ${word[0].toUpperCase()}${word.slice(1)} `]) {
      const name = `s${i++}`
      const res = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: name, Status: spelled })
      t.equal(res.json().ErrorCode, 1000, spelled)
      const stage = (await stages(app, planId)).StageList.find((s: { StageName: string }) => s.StageName === name)
      t.equal(stage.Status, parseStatus(word), `${spelled} → ${parseStatus(word) ?? '?'}`)
    }
  }
  t.same([...new Set(ACCEPTED_WORDS.map((w) => parseStatus(w)))].sort(), [...STATUSES].sort(), 'every canonical status is reachable')
  for (const Status of ['done', 'SUCCESSFUL', '', 'pass ed', 7, null]) {
    const res = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'x', Status })
    t.equal(res.statusCode, 400, `Status ${JSON.stringify(Status)}`)
    t.match(res.json(), { ErrorCode: 1001, Description: /Status/ })
  }
})

t.test('statuses only move forward; a late update is 1000 and ignored; terminal → terminal wins', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const send = async (Status: string, StageName = 'Build') =>
    (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status })).json()
  await send('running')
  t.same(await send('queued'), { ErrorCode: 1000, Description: 'OK (ignored: stage "Build" is already Running)' })
  t.equal((await stages(app, planId)).StageList[0].Status, 'Running')
  await send('paused')
  t.equal((await stages(app, planId)).StageList[0].Status, 'Paused')
  await send('running')
  t.equal((await stages(app, planId)).StageList[0].Status, 'Running', 'Running ⇄ Paused')
  await send('passed')
  const passed = (await stages(app, planId)).StageList[0]
  t.match(await send('running'), { ErrorCode: 1000, Description: /ignored/ })
  t.same((await stages(app, planId)).StageList[0], passed, 'a late running after Pass changes nothing')
  await send('failed')
  t.equal((await stages(app, planId)).StageList[0].Status, 'Fail', 'the last terminal word wins')
  await send('pass')
  t.equal((await stages(app, planId)).StageList[0].Status, 'Pass', 'a retried stage that passed')

  // the build itself: same rules
  await send('failure', '')
  t.match(await send('running', ''), { Description: /ignored: build is already Fail/ })
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Fail')
})

t.test('idempotent: the same update twice changes nothing', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const body = { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'Pass', Detail: { URL: 'u' } }
  await post(app, '/Build/update', body)
  const first = await stages(app, planId)
  await new Promise((resolve) => setTimeout(resolve, 1100)) // a second later, so a re-stamped time would show
  t.same((await post(app, '/Build/update', body)).json(), { ErrorCode: 1000, Description: 'OK' })
  t.same(await stages(app, planId), first)
})

t.test('a stage first seen terminal gets both times; given StartTime/EndTime win', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Lint', Status: 'skipped' })
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'running', StartTime: 1491904800 })
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'pass', EndTime: '1491904860' })
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Wait', Status: 'queued' })
  const [lint, buildStage, wait] = (await stages(app, planId)).StageList
  t.type(lint.StartTime, 'number')
  t.equal(lint.EndTime, lint.StartTime)
  t.equal(buildStage.StartTime, 1491904800)
  t.equal(buildStage.EndTime, 1491904860)
  t.equal(wait.StartTime, null, 'a queued stage has not started')
  t.equal(wait.EndTime, null)
})

t.test('DAG: PreStageID and PreStageName give fan-out and fan-in', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const up = async (StageName: string, extra: Record<string, unknown> = {}) =>
    (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status: 'running', ...extra })).json()
  await up('Build')
  await up('Unit', { PreStageID: [1] })
  await up('Integration', { PreStageID: ['1'] })
  await up('UI', { PreStageName: ['Build'] })
  await up('Deploy', { PreStageName: ['Unit', 'Integration', 'UI'] })
  await up('Smoke')
  const list = (await stages(app, planId)).StageList
  t.same(list.map((s: { StageName: string, PreStageID: number[] }) => [s.StageName, s.PreStageID]), [
    ['Build', []], ['Unit', [1]], ['Integration', [1]], ['UI', [1]], ['Deploy', [2, 3, 4]], ['Smoke', [5]]
  ])

  const errors: Array<[Record<string, unknown>, RegExp]> = [
    [{ PreStageID: [1], PreStageName: ['Build'] }, /exclusive/],
    [{ PreStageID: [99] }, /PreStageID 99/],
    [{ PreStageName: ['Nope'] }, /PreStageName "Nope"/],
    [{ PreStageID: ['x'] }, /PreStageID/],
    [{ PreStageID: 1 }, /PreStageID/]
  ]
  for (const [extra, msg] of errors) {
    const res = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Late', Status: 'running', ...extra })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { ErrorCode: 1001, Description: msg })
  }
  // a stage cannot come after itself or a later stage
  const self = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Unit', Status: 'pass', PreStageID: [2] })
  t.equal(self.json().ErrorCode, 1001)
  t.equal((await stages(app, planId)).StageCount, 6, 'rejected updates created nothing')
})

t.test('Detail is shallow-merged and capped at 16 KiB', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const up = async (Detail: unknown, StageName = 'Build') =>
    await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status: 'running', Detail })
  await up({ URL: 'a', Log: { lines: 3 } })
  await up({ Log: { bytes: 9 }, Agent: '🚀 构建' })
  t.same((await stages(app, planId)).StageList[0].Detail, { URL: 'a', Log: { bytes: 9 }, Agent: '🚀 构建' })

  const big = await up({ Blob: 'x'.repeat(16 * 1024) })
  t.equal(big.statusCode, 400)
  t.match(big.json(), { ErrorCode: 1001, Description: /Detail/ })
  t.same((await stages(app, planId)).StageList[0].Detail, { URL: 'a', Log: { bytes: 9 }, Agent: '🚀 构建' }, 'nothing half-written')
  t.equal((await up({ Blob: 'x'.repeat(16 * 1024 - 100) }, 'Other')).json().ErrorCode, 1000, 'just under the cap is fine')
  for (const Detail of ['text', [1, 2], 5, null]) {
    const res = await up(Detail)
    t.equal(res.statusCode, 400, JSON.stringify(Detail))
    t.match(res.json(), { ErrorCode: 1001, Description: /Detail/ })
  }
})

t.test('Build/update and Stage/info on unknown builds and with bad fields', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const unknown = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 2, StageName: 'x', Status: 'running' })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().ErrorCode, 1002)
  t.equal((await post(app, '/Build/update', { DevOpsPlanID: 999, BuildIndex: 1, Status: 'running' })).statusCode, 404)
  const info = await get(app, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: 5 })
  t.equal(info.statusCode, 404)
  t.equal(info.json().ErrorCode, 1002)
  t.same((await stages(app, planId)), { ErrorCode: 1000, Description: 'OK', StageCount: 0, StageList: [] })

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ BuildIndex: 1, Status: 'running' }, /DevOpsPlanID/],
    [{ DevOpsPlanID: planId, Status: 'running' }, /BuildIndex/],
    [{ DevOpsPlanID: planId, BuildIndex: 1 }, /Status/],
    [{ DevOpsPlanID: planId, BuildIndex: '1.5', Status: 'running' }, /BuildIndex/],
    [{ DevOpsPlanID: planId, BuildIndex: 1, StageName: 'x'.repeat(129), Status: 'running' }, /StageName/],
    [{ DevOpsPlanID: planId, BuildIndex: 1, StageName: 'x', Status: 'running', StartTime: 'yesterday' }, /StartTime/],
    [{ DevOpsPlanID: planId, BuildIndex: 1, StageName: 'x', Status: 'running', StartTime: -5 }, /StartTime/]
  ]
  for (const [body, field] of bad) {
    const res = await post(app, '/Build/update', body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.match(res.json(), { ErrorCode: 1001, Description: field })
  }
  const badQueries: Array<Record<string, string | number>> = [{ DevOpsPlanID: planId }, { DevOpsPlanID: 'a', BuildIndex: 1 }, { DevOpsPlanID: planId, BuildIndex: '-1' }]
  for (const q of badQueries) {
    const res = await get(app, '/Stage/info', q)
    t.equal(res.statusCode, 400)
    t.equal(res.json().ErrorCode, 1001)
  }
  t.equal((await stages(app, planId)).StageCount, 0)
})

t.test('concurrent first updates of parallel stages get distinct StageIDs', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Build', Status: 'pass' })
  const names = Array.from({ length: 20 }, (_, i) => `branch-${i}`)
  const results = await Promise.all(names.flatMap((StageName) => [
    post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status: 'running', PreStageName: ['Build'] }),
    post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status: 'running', PreStageName: ['Build'] })
  ]))
  t.ok(results.every((r) => r.json().ErrorCode === 1000), 'every update answered 1000')
  const list = (await stages(app, planId)).StageList
  t.equal(list.length, 21)
  t.same(list.map((s: { StageID: number }) => s.StageID), Array.from({ length: 21 }, (_, i) => i + 1))
  t.same(new Set(list.slice(1).map((s: { StageName: string }) => s.StageName)), new Set(names))
})

/** An object nested `levels` deep: {a:{a:…{}}} (`levels` objects counting the outer one). */
const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = {}
  for (let i = 1; i < levels; i++) v = { a: v }
  return v
}
const keys = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))

t.test('Detail nests at most 32 levels and has at most 256 keys per object; the build stays readable', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  // sent as text: the body is built by hand, as a client would send a 6,000-level object
  const update = async (Detail: unknown) => await app.inject({
    method: 'POST',
    url: '/TestCloud/DevOps/Build/update',
    headers: { 'content-type': 'application/json' },
    payload: `{"DevOpsPlanID":${planId},"BuildIndex":1,"StageName":"Build","Status":"running","Detail":${typeof Detail === 'string' ? Detail : JSON.stringify(Detail)}}`
  })
  t.equal((await update(nested(32))).json().ErrorCode, 1000, '32 levels: accepted')
  for (const [what, detail, message] of [
    ['33 levels', nested(33), /deeper than 32 levels/],
    ['6,000 levels', '{"a":'.repeat(5999) + '{}' + '}'.repeat(5999), /deeper than 32 levels/],
    ['257 keys', keys(257), /more than 256 keys/],
    ['257 keys three levels down', { a: { b: keys(257) } }, /more than 256 keys/],
    ['an array nesting too deep', { a: JSON.parse('['.repeat(40) + ']'.repeat(40)) }, /deeper than 32 levels/]
  ] as Array<[string, unknown, RegExp]>) {
    const r = await update(detail)
    t.equal(r.statusCode, 400, what)
    t.equal(r.json().ErrorCode, 1001, what)
    t.match(r.json().Description, message, what)
  }
  const merged = await update(keys(256))
  t.match(merged.json(), { ErrorCode: 1001, Description: /would have 257 keys/ }, 'the stored Detail is capped too: 256 new keys on top of "a"')
  const other = async (Detail: unknown) => (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'Other', Status: 'running', Detail })).json()
  t.equal((await other(keys(256))).ErrorCode, 1000, '256 keys: accepted')
  // a body nesting as deep as the size limit allows is refused too, never a 500
  const deepest = await app.inject({
    method: 'POST',
    url: '/TestCloud/DevOps/Build/update',
    headers: { 'content-type': 'application/json' },
    payload: `{"DevOpsPlanID":${planId},"BuildIndex":1,"StageName":"Build","Status":"running","Detail":{"a":${'['.repeat(400_000)}${']'.repeat(400_000)}}}`
  })
  t.ok(deepest.statusCode >= 400 && deepest.statusCode < 500, `a 400,000-level body: ${deepest.statusCode}`)
  t.equal(deepest.json().ErrorCode, 1001)
  const info = await stages(app, planId)
  t.equal(info.ErrorCode, 1000, 'Stage/info still answers')
  t.same(info.StageList[0].Detail, nested(32), 'the accepted Detail was kept, the refused ones not')
  t.equal(Object.keys(info.StageList[1].Detail).length, 256)
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).statusCode, 200)
})

t.test('a build has at most 1,000 stages; the 1,001st is refused and nothing is stored', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  for (let i = 1; i <= 1000; i++) {
    const r = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: `S${i}`, Status: 'success' })
    if (r.json().ErrorCode !== 1000) { t.fail(`stage ${i}: ${r.body}`); return }
  }
  const over = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'S1001', Status: 'success' })
  t.equal(over.statusCode, 400)
  t.match(over.json(), { ErrorCode: 1001, Description: /at most 1000 stages/ })
  const again = await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName: 'S1000', Status: 'failed' })
  t.equal(again.json().ErrorCode, 1000, 'an existing stage still takes updates')
  const info = await stages(app, planId)
  t.equal(info.StageCount, 1000)
  t.match(info.StageList.at(-1), { StageID: 1000, StageName: 'S1000', Status: 'Fail', PreStageID: [999] })
})

t.test('on a build that ended, a stage that is not final is ignored (1000); final stage results are recorded', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const update = async (body: Record<string, unknown>) => (await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, ...body })).json()
  await update({ StageName: 'Build', Status: 'running' })
  t.equal((await update({ Status: 'aborted' })).ErrorCode, 1000)
  const late = await update({ StageName: 'Deploy', Status: 'running' })
  t.equal(late.ErrorCode, 1000)
  t.match(late.Description, /ignored.*already ended \(Aborted\)/)
  const lateOld = await update({ StageName: 'Build', Status: 'running' })
  t.match(lateOld.Description, /ignored/)
  t.equal((await update({ StageName: 'Build', Status: 'aborted' })).ErrorCode, 1000)
  t.equal((await update({ StageName: 'Cleanup', Status: 'success' })).ErrorCode, 1000)
  const info = await stages(app, planId)
  t.same(info.StageList.map((s: { StageName: string, Status: string }) => [s.StageName, s.Status]), [['Build', 'Aborted'], ['Cleanup', 'Pass']],
    'no Running stage on an ended build; final results kept')
  t.equal((await get(app, '/Build/info', { DevOpsPlanID: planId, BuildIndex: 1 })).json().Build.Status, 'Aborted')
})

t.test('stage names are NFC-normalized; control, bidi and lone-surrogate characters are refused (1001)', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const up = async (StageName: string, extra: Record<string, unknown> = {}) =>
    await post(app, '/Build/update', { DevOpsPlanID: planId, BuildIndex: 1, StageName, Status: 'running', ...extra })
  t.equal((await up('Caf\u00e9')).json().ErrorCode, 1000)
  t.equal((await up('Cafe\u0301', { Status: 'success' })).json().ErrorCode, 1000, 'the decomposed spelling')
  t.equal((await up('Deploy', { PreStageName: ['Cafe\u0301'] })).json().ErrorCode, 1000)
  const list = (await stages(app, planId)).StageList
  t.same(list.map((s: { StageName: string, Status: string, PreStageID: number[] }) => [s.StageName, s.Status, s.PreStageID]),
    [['Caf\u00e9', 'Pass', []], ['Deploy', 'Running', [1]]], 'one stage, stored as NFC')
  for (const bad of ['a\u0000b', 'tab\there', 'x\u202Eexe', 'iso\u2066late', 'half \uD83D']) {
    const res = await up(bad)
    t.equal(res.statusCode, 400, JSON.stringify(bad))
    t.match(res.json(), { ErrorCode: 1001, Description: /StageName/ })
  }
  t.equal((await stages(app, planId)).StageCount, 2, 'nothing stored for the refused names')
})
