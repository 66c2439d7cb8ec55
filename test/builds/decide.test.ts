import t from 'tap'
import {
  checkUpdate, decide, decideAll, MAX_STAGES, type ProgressState, type ProgressUpdate, type StageState
} from '../../src/builds/decide.js'
import type { Status } from '../../src/status.js'

// The write path's rules as a table: a state, updates, and what they decide. No database, no clock.

const NOW = 1_700_000_000

function state (status: Status, stages: Array<Partial<StageState> & { name: string, status: Status }> = [],
  build: Partial<ProgressState['build']> = {}): ProgressState {
  const map = new Map<string, StageState>()
  stages.forEach((s, i) => map.set(s.name, {
    stage_id: i + 1, pre_stage_ids: '[]', detail: '{}', start_time: 100, end_time: null, ...s
  }))
  return {
    build: {
      id: 7,
      plan_id: 3,
      build_index: 1,
      product_id: 2,
      status,
      detail: '{}',
      start_time: status === 'Queued' ? null : 100,
      end_time: null,
      jenkins_build_number: null,
      jenkins_url: null,
      ...build
    },
    stages: map,
    lastStageId: map.size
  }
}

interface Case {
  rule: string
  given: ProgressState
  updates: ProgressUpdate[]
  /** the results, one per update */
  results?: Array<{ changed: boolean, ignored?: RegExp }>
  /** fields of the build afterwards */
  build?: Record<string, unknown>
  /** fields of stages afterwards, by name */
  stages?: Record<string, Record<string, unknown>>
  /** [stageName, status] of every event, in order */
  events?: Array<[string, string]>
  /** a refused update: the InvalidParameter message */
  refused?: RegExp
}

const cases: Case[] = [
  // a run's number and URL, once known, are the build's for good
  {
    rule: 'a known run number and URL are kept; unknown ones are learnt',
    given: state('Running', [], { jenkins_build_number: 7, jenkins_url: 'http://j/job/Test/7/' }),
    updates: [
      { stageName: 'Build', status: 'Running', jenkins: { buildNumber: 8, url: 'http://j/job/Test/8/' }, source: 'poller' },
      { status: 'Pass', jenkins: { buildNumber: 9 }, source: 'otlp' }
    ],
    results: [{ changed: true }, { changed: true }],
    build: { status: 'Pass', jenkins_build_number: 7, jenkins_url: 'http://j/job/Test/7/' }
  },
  {
    rule: 'a build without a run learns its number and URL from the first report naming them',
    given: state('Queued'),
    updates: [{ stageName: 'Build', status: 'Running', jenkins: { buildNumber: 8, url: 'http://j/job/Test/8/' }, source: 'poller' }],
    build: { status: 'Running', jenkins_build_number: 8, jenkins_url: 'http://j/job/Test/8/' }
  },
  // a webhook never rewrites a final result; the pipeline's own report and the poller may
  {
    rule: 'a webhook notification does not change the result of a build that ended',
    given: state('Fail', [], { end_time: 200 }),
    updates: [{ status: 'Pass', source: 'webhook' }, { status: 'Pass', source: 'poller' }],
    results: [{ changed: false, ignored: /already ended \(Fail\): a notification never changes it/ }, { changed: true }],
    build: { status: 'Pass' },
    events: [['', 'Pass']]
  },
  // spans never change what ended: decided under the build's lock, so a poll committed between the
  // spans' planning read and their write is not overwritten
  {
    rule: 'a root span does not change the result of a build that ended; the poller may',
    given: state('Fail', [], { end_time: 200 }),
    updates: [
      { status: 'Pass', endTime: 300, jenkins: { buildNumber: 9 }, source: 'otlp' },
      { status: 'Fail', endTime: 300, source: 'otlp' },
      { status: 'Pass', source: 'poller' }
    ],
    results: [
      { changed: false, ignored: /already ended \(Fail\): a span never changes it/ },
      { changed: false, ignored: /already ended \(Fail\): a span never changes it/ },
      { changed: true }
    ],
    build: { status: 'Pass', jenkins_build_number: null },
    events: [['', 'Pass']]
  },
  {
    rule: 'a span does not change an ended stage\'s status: a stage the poller found skipped after a failure stays Skipped',
    given: state('Running', [{ name: 'Deploy', status: 'Skipped', start_time: 150, end_time: 150 }]),
    updates: [
      { stageName: 'Deploy', status: 'Fail', startTime: 140, endTime: 160, source: 'otlp' },
      { stageName: 'Deploy', status: 'Pass', source: 'otlp' }
    ],
    results: [
      { changed: false, ignored: /^stage "Deploy" already ended \(Skipped\): a span never changes it$/ },
      { changed: false, ignored: /already ended \(Skipped\)/ }
    ],
    stages: { Deploy: { status: 'Skipped', start_time: 150, end_time: 150 } },
    events: []
  },
  {
    rule: 'a span with an ended stage\'s own status changes its Detail only (a branch taking over its stage), never its times',
    given: state('Running', [
      { name: 'Build', status: 'Pass', start_time: 100, end_time: 110 },
      { name: 'A', status: 'Pass', start_time: 120, end_time: 130, pre_stage_ids: '[1]', detail: '{"JenkinsNodeID":"12"}' }
    ]),
    updates: [{
      stageName: 'A', status: 'Pass', startTime: 115, endTime: 400, preStageNames: [], detail: { JenkinsNodeID: '10' }, source: 'otlp'
    }],
    results: [{ changed: true }],
    stages: { A: { status: 'Pass', start_time: 120, end_time: 130, pre_stage_ids: '[1]', detail: '{"JenkinsNodeID":"10"}' } },
    events: [['A', 'Pass']]
  },
  // forward-only
  {
    rule: 'a stage moves forward: Queued → Running → Pass',
    given: state('Running', [{ name: 'Build', status: 'Queued', start_time: null }]),
    updates: [{ stageName: 'Build', status: 'Running' }, { stageName: 'Build', status: 'Pass' }],
    results: [{ changed: true }, { changed: true }],
    stages: { Build: { status: 'Pass', start_time: NOW, end_time: NOW } },
    events: [['Build', 'Running'], ['Build', 'Pass']]
  },
  {
    rule: 'a backward move is ignored, with the reason',
    given: state('Running', [{ name: 'Build', status: 'Running' }]),
    updates: [{ stageName: 'Build', status: 'Queued' }],
    results: [{ changed: false, ignored: /^stage "Build" is already Running$/ }],
    stages: { Build: { status: 'Running' } },
    events: []
  },
  {
    rule: 'Running ⇄ Paused both ways',
    given: state('Running', [{ name: 'Build', status: 'Running' }]),
    updates: [{ stageName: 'Build', status: 'Paused' }, { stageName: 'Build', status: 'Running' }],
    results: [{ changed: true }, { changed: true }],
    stages: { Build: { status: 'Running' } }
  },
  {
    rule: 'a late running after a terminal status is ignored; terminal → terminal: the last word wins',
    given: state('Running', [{ name: 'Build', status: 'Pass', end_time: 200 }]),
    updates: [{ stageName: 'Build', status: 'Running' }, { stageName: 'Build', status: 'Fail' }],
    results: [{ changed: false, ignored: /already Pass/ }, { changed: true }],
    stages: { Build: { status: 'Fail', end_time: NOW } }
  },
  {
    rule: 'the build itself follows the same rule',
    given: state('Fail', [], { end_time: 200 }),
    updates: [{ status: 'Running' }],
    results: [{ changed: false, ignored: /^build is already Fail$/ }],
    events: []
  },
  // idempotency
  {
    rule: 'the same update twice: the second changes nothing and keeps the times',
    given: state('Running'),
    updates: [{ stageName: 'Build', status: 'Pass', detail: { URL: 'u' } }, { stageName: 'Build', status: 'Pass', detail: { URL: 'u' } }],
    results: [{ changed: true }, { changed: false }],
    stages: { Build: { status: 'Pass', detail: '{"URL":"u"}', start_time: NOW, end_time: NOW } },
    events: [['Build', 'Pass']]
  },
  {
    rule: 'a repeated terminal status keeps its first EndTime',
    given: state('Running', [{ name: 'Build', status: 'Pass', end_time: 150 }]),
    updates: [{ stageName: 'Build', status: 'Pass' }],
    results: [{ changed: false }],
    stages: { Build: { end_time: 150 } }
  },
  // the build follows its stages
  {
    rule: 'a Queued build becomes Running on its first stage activity, started now',
    given: state('Queued'),
    updates: [{ stageName: 'Checkout', status: 'Running' }],
    results: [{ changed: true }],
    build: { status: 'Running', start_time: NOW },
    events: [['Checkout', 'Running'], ['', 'Running']]
  },
  {
    rule: 'a Queued stage leaves a Queued build queued',
    given: state('Queued'),
    updates: [{ stageName: 'Wait', status: 'Queued' }],
    build: { status: 'Queued', start_time: null },
    stages: { Wait: { start_time: null, end_time: null } },
    events: [['Wait', 'Queued']]
  },
  {
    rule: 'the build starts at the stage\'s given StartTime',
    given: state('Queued'),
    updates: [{ stageName: 'Build', status: 'Running', startTime: 1491904800 }],
    build: { status: 'Running', start_time: 1491904800 }
  },
  {
    rule: 'on an ended build a stage that is not final is ignored, a final result is kept',
    given: state('Aborted', [{ name: 'Build', status: 'Running' }], { end_time: 300 }),
    updates: [{ stageName: 'Deploy', status: 'Running' }, { stageName: 'Build', status: 'Aborted' }],
    results: [{ changed: false, ignored: /^build already ended \(Aborted\): a stage that is not final is ignored$/ }, { changed: true }],
    stages: { Build: { status: 'Aborted' } },
    events: [['Build', 'Aborted']]
  },
  {
    rule: 'a build-level status sets the build\'s times: a terminal one its EndTime',
    given: state('Running'),
    updates: [{ status: 'Pass' }],
    build: { status: 'Pass', start_time: 100, end_time: NOW },
    events: [['', 'Pass']]
  },
  // times
  {
    rule: 'a stage first seen terminal gets both times now',
    given: state('Running'),
    updates: [{ stageName: 'Lint', status: 'Skipped' }],
    stages: { Lint: { start_time: NOW, end_time: NOW } }
  },
  {
    rule: 'given StartTime and EndTime win over now',
    given: state('Running'),
    updates: [{ stageName: 'Build', status: 'Running', startTime: 10 }, { stageName: 'Build', status: 'Pass', endTime: 70 }],
    stages: { Build: { start_time: 10, end_time: 70 } }
  },
  {
    rule: 'a stage that is running again has no EndTime',
    given: state('Running', [{ name: 'Build', status: 'Paused' }]),
    updates: [{ stageName: 'Build', status: 'Running', endTime: 99 }],
    stages: { Build: { end_time: null } }
  },
  // the DAG
  {
    rule: 'a new stage comes after the latest one unless told otherwise; the first has none',
    given: state('Running'),
    updates: [{ stageName: 'A', status: 'Running' }, { stageName: 'B', status: 'Running' }],
    stages: { A: { stage_id: 1, pre_stage_ids: '[]' }, B: { stage_id: 2, pre_stage_ids: '[1]' } }
  },
  {
    rule: 'PreStageID and PreStageName give fan-out and fan-in (duplicates once, names trimmed)',
    given: state('Running', [{ name: 'Build', status: 'Pass' }, { name: 'Unit', status: 'Pass' }]),
    updates: [
      { stageName: 'UI', status: 'Running', preStageIds: [1, 1] },
      { stageName: 'Deploy', status: 'Running', preStageNames: ['Unit', ' UI ', 'Unit'] }
    ],
    stages: { UI: { stage_id: 3, pre_stage_ids: '[1]' }, Deploy: { stage_id: 4, pre_stage_ids: '[2,3]' } }
  },
  {
    rule: 'predecessors of a known stage replace its own',
    given: state('Running', [{ name: 'A', status: 'Pass' }, { name: 'B', status: 'Pass' }, { name: 'C', status: 'Running', pre_stage_ids: '[2]' }]),
    updates: [{ stageName: 'C', status: 'Running', preStageIds: [1] }],
    results: [{ changed: true }],
    stages: { C: { pre_stage_ids: '[1]' } }
  },
  {
    rule: 'a PreStageID that is not an earlier stage is refused',
    given: state('Running', [{ name: 'A', status: 'Pass' }]),
    updates: [{ stageName: 'B', status: 'Running', preStageIds: [99] }],
    refused: /^PreStageID 99 is not an earlier stage of this build$/
  },
  {
    rule: 'a stage cannot come after itself or a later stage (it stays a DAG)',
    given: state('Running', [{ name: 'A', status: 'Pass' }, { name: 'B', status: 'Running' }]),
    updates: [{ stageName: 'A', status: 'Pass', preStageIds: [2] }],
    refused: /PreStageID 2 is not an earlier stage/
  },
  {
    rule: 'an unknown PreStageName is refused, named as sent',
    given: state('Running'),
    updates: [{ stageName: 'B', status: 'Running', preStageNames: [' Nope'] }],
    refused: /^PreStageName " Nope" is not an earlier stage of this build$/
  },
  // Detail
  {
    rule: 'Detail is shallow-merged; the event carries the keys it set',
    given: state('Running', [{ name: 'Build', status: 'Running', detail: '{"URL":"a","Log":{"lines":3}}' }]),
    updates: [{ stageName: 'Build', status: 'Running', detail: { Log: { bytes: 9 }, URL: 'a' } }],
    stages: { Build: { detail: '{"URL":"a","Log":{"bytes":9}}' } },
    events: [['Build', 'Running']]
  },
  {
    rule: 'a merged Detail over 256 keys is refused',
    given: state('Running', [{ name: 'Build', status: 'Running', detail: '{"a":1}' }]),
    updates: [{ stageName: 'Build', status: 'Running', detail: Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, i])) }],
    refused: /^Detail would have 257 keys, more than 256$/
  },
  {
    rule: 'a merged Detail over 16 KiB of JSON is refused',
    given: state('Running', [{ name: 'Build', status: 'Running', detail: JSON.stringify({ a: 'x'.repeat(10_000) }) }]),
    updates: [{ stageName: 'Build', status: 'Running', detail: { b: 'y'.repeat(7_000) } }],
    refused: /^Detail would exceed 16384 bytes of JSON$/
  },
  // the stage cap
  {
    rule: `a build has at most ${MAX_STAGES} stages: one more is refused, a known one still moves`,
    given: { ...state('Running', [{ name: 'S1000', status: 'Running' }]), lastStageId: MAX_STAGES },
    updates: [{ stageName: 'S1001', status: 'Pass' }],
    refused: /^a build has at most 1000 stages; stage "S1001" would be one more$/
  },
  {
    rule: 'at the cap, a known stage still takes updates',
    given: { ...state('Running', [{ name: 'S1000', status: 'Running' }]), lastStageId: MAX_STAGES },
    updates: [{ stageName: 'S1000', status: 'Fail' }],
    results: [{ changed: true }]
  },
  // run facts and names
  {
    rule: 'run facts are recorded once, with a build event the first time',
    given: state('Running', [{ name: 'Build', status: 'Running' }]),
    updates: [
      { stageName: 'Build', status: 'Running', jenkins: { buildNumber: 5, url: 'http://j/job/T/5/' } },
      { stageName: 'Build', status: 'Running', jenkins: { buildNumber: 5, url: 'http://j/job/T/5/' } }
    ],
    results: [{ changed: true }, { changed: false }],
    build: { jenkins_build_number: 5, jenkins_url: 'http://j/job/T/5/' },
    events: [['', 'Running']]
  },
  {
    rule: 'stage names are compared trimmed; "" and blanks mean the build',
    given: state('Running', [{ name: 'Build', status: 'Running' }]),
    updates: [{ stageName: ' Build ', status: 'Pass' }, { stageName: '  ', status: 'Pass' }],
    stages: { Build: { status: 'Pass' } },
    build: { status: 'Pass' },
    events: [['Build', 'Pass'], ['', 'Pass']]
  },
  {
    rule: 'stage names are NFC-normalized: a combining accent names the same stage as a precomposed one',
    given: state('Running', [{ name: 'Caf\u00e9', status: 'Running' }]),
    updates: [
      { stageName: 'Cafe\u0301', status: 'Pass' },
      { stageName: 'Deploy', status: 'Running', preStageNames: ['Cafe\u0301'] }
    ],
    results: [{ changed: true }, { changed: true }],
    stages: { Café: { status: 'Pass' }, Deploy: { pre_stage_ids: '[1]' } }
  },
  {
    rule: 'a new stage is stored under its NFC name',
    given: state('Running'),
    updates: [{ stageName: ' Re\u0301sume\u0301 ', status: 'Running' }],
    stages: { Résumé: { stage_id: 1 } },
    events: [['R\u00e9sum\u00e9', 'Running']]
  },
  {
    rule: 'a stage name with a control character is refused',
    given: state('Running'),
    updates: [{ stageName: 'Build\nTest', status: 'Running' }],
    refused: /^StageName contains a control character \(U\+000A\)/
  },
  {
    rule: 'a stage name with a bidi override is refused',
    given: state('Running'),
    updates: [{ stageName: 'Build \u202Egnp.exe', status: 'Running' }],
    refused: /^StageName contains a bidirectional control character \(U\+202E\)/
  },
  {
    rule: 'a stage name with a lone surrogate is refused',
    given: state('Running'),
    updates: [{ stageName: 'Build \uD800', status: 'Running' }],
    refused: /^StageName contains a lone surrogate/
  },
  {
    rule: 'a PreStageName with a control character is refused',
    given: state('Running', [{ name: 'A', status: 'Pass' }]),
    updates: [{ stageName: 'B', status: 'Running', preStageNames: ['A\t'] }],
    refused: /^PreStageName contains a control character \(U\+0009\)/
  },
  {
    rule: 'events carry their source (default: callback)',
    given: state('Running'),
    updates: [{ stageName: 'A', status: 'Running', source: 'poller' }, { stageName: 'B', status: 'Running' }]
  }
]

for (const c of cases) {
  t.test(c.rule, async (t) => {
    if (c.refused != null) {
      t.throws(() => decideAll(c.given, c.updates, NOW), { errorCode: 1001, message: c.refused })
      return
    }
    const out = decideAll(c.given, c.updates, NOW)
    if (c.results != null) {
      t.same(out.results.map((r) => r.changed), c.results.map((r) => r.changed), 'changed')
      c.results.forEach((r, i) => {
        if (r.ignored == null) t.equal(out.results[i].ignored, undefined, 'not ignored')
        else t.match(out.results[i].ignored, r.ignored)
      })
    }
    if (c.build != null) t.match(out.state.build, c.build)
    for (const [name, fields] of Object.entries(c.stages ?? {})) t.match(out.state.stages.get(name), fields, name)
    if (c.events != null) t.same(out.events.map((e) => [e.stageName, e.status]), c.events)
    if (c.rule.startsWith('events carry')) t.same(out.events.map((e) => e.source), ['poller', 'callback'])
    // the state handed in is never changed
    t.equal(c.given.stages.size, new Set(c.given.stages.keys()).size)
  })
}

t.test('decide is pure: the given state is untouched and unchanged objects are kept', async (t) => {
  const given = state('Running', [{ name: 'Build', status: 'Running' }])
  const copy = JSON.stringify({ ...given, stages: [...given.stages] })
  const repeat = decide(given, { stageName: 'Build', status: 'Running' }, NOW)
  t.equal(repeat.state.stages.get('Build'), given.stages.get('Build'), 'a repeat keeps the stage object (nothing to write)')
  t.equal(repeat.state.build, given.build)
  decide(given, { stageName: 'Build', status: 'Pass', detail: { x: 1 } }, NOW)
  t.equal(JSON.stringify({ ...given, stages: [...given.stages] }), copy)
})

t.test('the rules checked before any lock: exclusive predecessors, Detail shape', async (t) => {
  const rows: Array<[ProgressUpdate, RegExp | null]> = [
    [{ status: 'Running', stageName: 'A', preStageIds: [1], preStageNames: ['B'] }, /^PreStageID and PreStageName are exclusive/],
    [{ status: 'Running', stageName: 'A', detail: { a: { b: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [i, i])) } } }, /more than 256 keys/],
    [{ status: 'Running', stageName: 'A', detail: JSON.parse('{"a":' + '['.repeat(40) + ']'.repeat(40) + '}') }, /deeper than 32 levels/],
    [{ status: 'Running', stageName: 'A', detail: { a: 1 } }, null]
  ]
  for (const [u, refused] of rows) {
    if (refused == null) t.doesNotThrow(() => { checkUpdate(u) })
    else t.throws(() => { checkUpdate(u) }, { errorCode: 1001, message: refused })
  }
})
