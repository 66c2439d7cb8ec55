// Every visible string of the dashboard, per area. An area is a module exporting `{ en: {...}, zh: {...} }`
// with namespaced keys ("build.rebuild", unique across areas); a test fails when a key is missing in one
// language or used by a page without a message.
// To add an area: create messages/<area>.js in that shape and list it here.
import common from './common.js'
import home from './home.js'
import build from './build.js'
import insights from './insights.js'

export const AREAS = { common, home, build, insights }

export const LANGS = ['en', 'zh']

/** All areas merged per language: { en: { key: text }, zh: { key: text } }. */
export const MESSAGES = Object.fromEntries(LANGS.map((l) =>
  [l, Object.assign({}, ...Object.values(AREAS).map((a) => a[l]))]))
