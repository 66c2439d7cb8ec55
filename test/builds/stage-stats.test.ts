import t from 'tap'
import { median, nearestRank, stageStats, type BuildRuns } from '../../src/builds/stage-stats.js'
import { estimate, planHistory } from '../../src/builds/estimate.js'

const run = (name: string, status: string, start: number | null, end: number | null, id?: number, pre: number[] = []) =>
  ({ name, status, start_time: start, end_time: end, stage_id: id, pre_stage_ids: JSON.stringify(pre) })

t.test('median of an even count is the mean of the middle two; P90 is the nearest rank', async (t) => {
  t.equal(median([]), null)
  t.equal(median([5]), 5)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.equal(median([9, 1, 5]), 5)
  t.equal(nearestRank([], 0.9), null)
  t.equal(nearestRank([7], 0.9), 7)
  t.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9, '⌈9⌉ = 9th')
  t.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9), 10, '⌈9.9⌉ = 10th')
})

t.test('stageStats: counts, rates, durations, flips and first-seen order', async (t) => {
  const builds: BuildRuns[] = [
    { buildIndex: 1, stages: [run('Test', 'Pass', 0, 10), run('Lint', 'Pass', 0, 4)] },
    { buildIndex: 2, stages: [run('Test', 'Fail', 0, 3), run('Lint', 'Skipped', 5, 5), run('Alpha', 'Pass', 1, 2)] },
    { buildIndex: 3, stages: [run('Test', 'Unstable', 0, 8)] },
    { buildIndex: 4, stages: [run('Test', 'Pass', 0, 12), run('Lint', 'Aborted', 0, 1)] },
    { buildIndex: 5, stages: [run('Test', 'Pass', 0, 14), run('Lint', 'Running', 0, null)] }
  ]
  const [test, lint, alpha] = stageStats(builds)
  t.same([test.StageName, lint.StageName, alpha.StageName], ['Test', 'Lint', 'Alpha'], 'first seen, not alphabetical')
  t.match(test, { Runs: 5, Pass: 3, Fail: 1, Aborted: 0, Skipped: 0, PassRate: 3 / 5, MedianDuration: 12, P90Duration: 14 })
  t.same(test.Durations, [10, 3, 8, 12, 14])
  // Pass→Fail (1), Fail→Unstable (not Pass/Fail), Unstable→Pass (no), Pass→Pass: 1 flip over 4 steps
  t.equal(test.FlipRate, 1 / 4)
  t.equal(test.Flaky, false)
  t.match(lint, { Runs: 2, Pass: 1, Aborted: 1, Skipped: 1, PassRate: 0.5, MedianDuration: 4, P90Duration: 4, FlipRate: 0, Flaky: false })
  t.same(lint.Durations, [4, null, null, 1, null], 'skipped and still running: null')
  t.match(alpha, { Runs: 1, FlipRate: null, Durations: [null, 1, null, null, null] })
})

t.test('Flaky needs a flip rate of 0.3 and 5 runs', async (t) => {
  const seq = (statuses: string[]) => statuses.map((s, i) => ({ buildIndex: i + 1, stages: [run('X', s, 0, 1)] }))
  t.match(stageStats(seq(['Pass', 'Fail', 'Pass', 'Fail']))[0], { FlipRate: 1, Flaky: false }, '4 runs only')
  t.match(stageStats(seq(['Pass', 'Fail', 'Pass', 'Pass', 'Pass']))[0], { FlipRate: 0.5, Flaky: true })
  // 10 runs, 3 flips: 3/9 ≥ 0.3
  t.match(stageStats(seq(['Pass', 'Fail', 'Pass', 'Fail', 'Fail', 'Fail', 'Fail', 'Fail', 'Fail', 'Fail']))[0], { Flaky: true })
  // 11 runs, 2 flips: 0.2
  t.match(stageStats(seq(['Pass', 'Fail', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass', 'Pass']))[0], { FlipRate: 0.2, Flaky: false })
})

// Build (60 s) → Test (median 120 s) and Lint (30 s) in parallel → Deploy (10 s)
const passed = (test: number): BuildRuns => ({
  buildIndex: 1,
  stages: [run('Build', 'Pass', 0, 60, 1), run('Test', 'Pass', 60, 60 + test, 2, [1]), run('Lint', 'Pass', 60, 90, 3, [1]),
    run('Deploy', 'Pass', 200, 210, 4, [2, 3]), run('Rare', 'Pass', 210, 999, 5, [4])]
})

t.test('estimate: the longest path of what is left, usual stages only', async (t) => {
  const three = [passed(100), passed(120), { ...passed(140), stages: passed(140).stages.slice(0, 4) }]
  const h = planHistory(three)
  t.equal(h.medians.get('Test'), 120)
  t.same([...h.usual.keys()].sort(), ['Build', 'Deploy', 'Lint', 'Rare', 'Test'], 'Rare ran in 2 of 3: usual')
  const h4 = planHistory([...three, { ...passed(130), stages: passed(130).stages.slice(0, 4) }])
  t.ok(h4.usual.has('Rare'), '2 of 4 is half: still usual')
  t.equal(planHistory([...three, { ...passed(1), stages: passed(1).stages.slice(0, 4) }, { ...passed(130), stages: passed(130).stages.slice(0, 4) }, { ...passed(130), stages: passed(130).stages.slice(0, 4) }]).usual.has('Rare'), false, '2 of 6: not usual')

  const T = 1_700_000_000
  const running = [run('Build', 'Pass', T, T + 60, 1), run('Test', 'Running', T + 60, null, 2, [1])]
  // Test: 120 − 40 = 80 left; Lint not started: 30 after Build; Deploy: 10 after both → 90
  const hNoRare = planHistory([passed(100), passed(120), passed(140)].map((b) => ({ ...b, stages: b.stages.slice(0, 4) })))
  t.same(estimate(hNoRare, { start_time: T }, running, T + 100), { remaining: 90, EstimatedEndTime: T + 190, Progress: 53 })
  // Test already past its median: nothing left of it, Lint's 30 + Deploy's 10 remain
  t.same(estimate(hNoRare, { start_time: T }, running, T + 300), { remaining: 40, EstimatedEndTime: T + 340, Progress: 88 })
  // everything ran: nothing left
  const done = [...running.slice(0, 1), run('Test', 'Pass', T + 60, T + 90, 2, [1]), run('Lint', 'Pass', T + 60, T + 90, 3, [1]),
    run('Deploy', 'Running', T + 90, null, 4, [2, 3])]
  t.same(estimate(hNoRare, { start_time: T }, done, T + 95), { remaining: 5, EstimatedEndTime: T + 100, Progress: 95 })
  t.equal(estimate(planHistory([passed(1), passed(2)]), { start_time: T }, running, T + 100), null, 'fewer than 3 passed builds')
  t.same(estimate(hNoRare, { start_time: null }, [], T), { remaining: 190, EstimatedEndTime: T + 190, Progress: 0 }, 'queued: the whole path, 60 + 120 + 10')
})

// graph view's tree: Build 60 s, then Test holding parallel branches A (10 s) and B (200 s), then Deploy 10 s
const nested = (): BuildRuns => ({
  buildIndex: 1,
  stages: [run('Build', 'Pass', 0, 60, 1), run('Test', 'Pass', 60, 260, 2, [1]), run('A', 'Pass', 60, 70, 3, [2]),
    run('B', 'Pass', 60, 260, 4, [2]), run('Deploy', 'Pass', 260, 270, 5, [3, 4])]
})

t.test('estimate: a stage holding parallel branches is counted through its branches, not on top of them', async (t) => {
  const h = planHistory([nested(), nested(), nested()])
  t.same([...h.parents], ['Test'])
  const T = 1_700_000_000
  t.same(estimate(h, { start_time: null }, [], T), { remaining: 270, EstimatedEndTime: T + 270, Progress: 0 }, 'queued: 60 + 200 + 10')
  const midway = [run('Build', 'Pass', T, T + 60, 1), run('Test', 'Running', T + 60, null, 2, [1]),
    run('A', 'Pass', T + 60, T + 70, 3, [2]), run('B', 'Running', T + 60, null, 4, [2])]
  t.same(estimate(h, { start_time: T }, midway, T + 110), { remaining: 160, EstimatedEndTime: T + 270, Progress: 41 },
    '50 s into the branches: B\'s 150 s and Deploy\'s 10 s')
})
