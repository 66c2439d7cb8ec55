import t from 'tap'

// In a file of its own: it sets the few browser globals web/i18n.js reads at load, which no other
// test in the process should see.
t.test('counts take the plural form of their language: 1 build, 2 builds; 1 个 and 2 个 alike', async (t) => {
  // web/i18n.js is browser code: the few globals it reads at load, as a browser set to English has them
  Object.assign(globalThis, {
    localStorage: { getItem: () => 'en', setItem: () => {} },
    document: { documentElement: {} },
    dispatchEvent: () => true,
    CustomEvent: class {}
  })
  const i18nModule: string = '../../web/i18n.js'
  const { tn, setLang } = await import(i18nModule) as { tn: (key: string, n: number) => string, setLang: (l: string) => void }
  t.same([0, 1, 2, 1234].map((n) => tn('builds.count', n)), ['0 builds', '1 build', '2 builds', '1,234 builds'])
  t.same([1, 2].map((n) => tn('home.summary.red', n)), ['1 plan red', '2 plans red'])
  setLang('zh')
  t.same([1, 2].map((n) => tn('builds.count', n)), ['共 1 个构建', '共 2 个构建'])
})

t.test('a duration under a second reads "< 1 s", never "0 s": the insights figures, "usually …" and the stage durations', async (t) => {
  Object.assign(globalThis, {
    localStorage: { getItem: () => 'en', setItem: () => {} },
    document: { documentElement: {} },
    dispatchEvent: () => true,
    addEventListener: () => {},
    CustomEvent: class {}
  })
  // web/progress.js imports the libraries by the paths the server serves them at (/ui/vendor/…): here, from node_modules
  const { registerHooks } = await import('node:module')
  const VENDOR: Record<string, string> = { 'preact.mjs': 'preact', 'hooks.mjs': 'preact/hooks', 'htm.mjs': 'htm' }
  registerHooks({
    resolve: (spec, ctx, next) => {
      const lib = /^\/ui\/vendor\/([\w.]+)$/.exec(spec)?.[1]
      return next(lib != null && lib in VENDOR ? VENDOR[lib] : spec, ctx)
    }
  })
  const i18nModule: string = '../../web/i18n.js'
  const progressModule: string = '../../web/progress.js'
  const { fmtSeconds, setLang } = await import(i18nModule) as { fmtSeconds: (s: number) => string, setLang: (l: string) => void }
  const { roughly, stageNorm } = await import(progressModule) as {
    roughly: (s: number) => string,
    stageNorm: (stage: object, norm: object | null) => { usual: string | null }
  }
  setLang('en')
  t.equal(roughly(0.3), '< 1 s')
  t.equal(roughly(0), '< 1 s')
  t.equal(fmtSeconds(0.3), '< 1 s')
  t.equal(roughly(40), '40 s', 'a second and up: as before')
  t.equal(roughly(180), '3 min')
  t.equal(stageNorm({ MedianDuration: 0.4, Status: 'Pass' }, null).usual, 'usually < 1 s', 'a stage node\'s usual duration')
  setLang('zh')
  t.equal(roughly(0.3), '< 1 秒')
  t.equal(fmtSeconds(0.3), '< 1 秒')
  t.equal(roughly(40), '40 秒')
  t.equal(stageNorm({ MedianDuration: 0.4, Status: 'Pass' }, null).usual, '通常 < 1 秒')
})

t.test('numbers and ratios through Intl: 1,000 stages, a pass rate of 88%', async (t) => {
  const i18nModule: string = '../../web/i18n.js'
  const { fmtNumber, fmtPercent, setLang } = await import(i18nModule) as
    { fmtNumber: (n: number) => string, fmtPercent: (x: number) => string, setLang: (l: string) => void }
  setLang('en')
  t.equal(fmtNumber(1000), '1,000')
  t.same([0, 0.875, 1].map(fmtPercent), ['0%', '88%', '100%'], 'a whole percentage')
  setLang('zh')
  t.equal(fmtNumber(1000), '1,000')
  t.same([0.875].map(fmtPercent), ['88%'])
})
