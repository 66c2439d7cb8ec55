import t from 'tap'
import { parseStatus } from '../../src/status.js'
import { appWithBuilds, DIALECT, get, post } from '../helper.js'

// 10,000 Build/update calls over 20 builds, shuffled, with duplicates and late `running`
// after the final word: every stage ends in its expected final state.
const BUILDS = 20
const STAGES = 10
const CALLS = 10_000

function shuffle<T> (xs: T[], seed = 42): T[] {
  let s = seed
  const rnd = () => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31 }
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
  return xs
}

t.test(`callback storm: ${CALLS} shuffled updates`, async (t) => {
  const { app, planId } = await appWithBuilds(t, BUILDS, { RATE_LIMIT_PER_MINUTE: '0' })
  const finals = ['success', 'FAILED', 'unstable', 'aborted', 'skipped']
  const expected = new Map<string, string>()
  const calls: Array<Record<string, unknown>> = []
  for (let b = 1; b <= BUILDS; b++) {
    for (let s = 0; s < STAGES; s++) {
      const final = finals[(b + s) % finals.length]
      expected.set(`${b}/S${s}`, parseStatus(final) as string)
      calls.push({ DevOpsPlanID: planId, BuildIndex: b, StageName: `S${s}`, Status: final, Detail: { Final: final } })
    }
  }
  // fill up with noise that must not win: running, queued, paused (before or after the final word), and repeats of the final word
  let i = 0
  while (calls.length < CALLS) {
    const b = (i % BUILDS) + 1
    const s = Math.floor(i / BUILDS) % STAGES
    const noise = ['running', 'RUNNING', 'in_progress', 'queued', 'paused', 'pending'][i % 6]
    const stage = `S${s}`
    calls.push(i % 7 === 0
      ? { DevOpsPlanID: String(planId), BuildIndex: String(b), StageName: stage, Status: [...expected.entries()].find(([k]) => k === `${b}/${stage}`)?.[1] }
      : { DevOpsPlanID: planId, BuildIndex: b, StageName: stage, Status: noise })
    i++
  }
  // the terminal words go in the second half of the shuffle's ... anywhere: order must not matter for them,
  // except that noise arriving after a final word is ignored and noise before it is overwritten
  shuffle(calls)

  const started = Date.now()
  let fiveHundreds = 0
  for (let k = 0; k < calls.length; k += 100) {
    const batch = await Promise.all(calls.slice(k, k + 100).map(async (c) => await post(app, '/Build/update', c)))
    for (const r of batch) {
      if (r.statusCode >= 500) fiveHundreds++
      if (r.json().ErrorCode !== 1000) t.fail(`unexpected answer ${r.body}`)
    }
  }
  const ms = Date.now() - started

  let wrong = 0
  for (let b = 1; b <= BUILDS; b++) {
    const list = (await get(app, '/Stage/info', { DevOpsPlanID: planId, BuildIndex: b })).json().StageList as Array<{ StageID: number, StageName: string, Status: string, EndTime: number | null, PreStageID: number[] }>
    if (list.length !== STAGES) t.fail(`build ${b} has ${list.length} stages`)
    for (const s of list) {
      if (s.Status !== expected.get(`${b}/${s.StageName}`) || s.EndTime == null) wrong++
    }
    t.same(list.map((s) => s.StageID), Array.from({ length: STAGES }, (_, k) => k + 1), `build ${b}: StageIDs 1..${STAGES}`)
    t.ok(list.every((s) => s.PreStageID.every((p) => p < s.StageID)), `build ${b}: predecessors come first`)
  }
  t.equal(wrong, 0, 'every stage ended in its expected final state')
  t.equal(fiveHundreds, 0, '500s seen')
  t.comment(`callback storm (${DIALECT}): ${calls.length} updates over ${BUILDS * STAGES} stages in ${ms} ms (${Math.round(calls.length / (ms / 1000))}/s); wrong final states ${wrong}, 500s ${fiveHundreds}`)
})
