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
