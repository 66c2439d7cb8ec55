/* global localStorage, navigator, document, dispatchEvent, CustomEvent */
import { LANGS, MESSAGES } from './messages/index.js'

// English and Simplified Chinese: the browser's language first, then the header's switch (remembered).
const KEY = 'testcloud.lang'
const stored = () => { try { return localStorage.getItem(KEY) } catch { return null } }
const fromBrowser = () => (navigator.languages ?? [navigator.language]).some((l) => /^zh\b/i.test(l)) ? 'zh' : 'en'

/** The current language: "en" or "zh". */
export let lang = LANGS.includes(stored()) ? stored() : fromBrowser()
/** The BCP 47 tag for <html lang> and Intl. */
export const locale = () => lang === 'zh' ? 'zh-CN' : 'en'

function apply () {
  document.documentElement.lang = locale()
}
apply()

/** Switches the language, remembers it, and tells the app to render again ("langchange" on window). */
export function setLang (next) {
  if (!LANGS.includes(next) || next === lang) return
  lang = next
  try { localStorage.setItem(KEY, next) } catch { /* private mode: for this page only */ }
  apply()
  dispatchEvent(new CustomEvent('langchange', { detail: next }))
}

/** The message `key` in the current language with `{name}` replaced from vars; English, then the key, as fallback. */
export function t (key, vars) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key
  return vars == null ? text : text.replace(/\{(\w+)\}/g, (m, k) => vars[k] == null ? m : String(vars[k]))
}

/**
 * A message with a count, in the plural form the language wants for `n`: the keys `key.one`,
 * `key.other` (and the other categories of Intl.PluralRules where a language has them).
 */
export function tn (key, n, vars = {}) {
  const form = `${key}.${intl('PluralRules', {}).select(n)}`
  const table = MESSAGES[lang]
  return t(form in table || form in MESSAGES.en ? form : `${key}.other`, { ...vars, n: fmtNumber(n) })
}

const cache = new Map()
const intl = (kind, opts) => {
  const k = `${lang}|${kind}|${JSON.stringify(opts)}`
  if (!cache.has(k)) cache.set(k, new Intl[kind](locale(), opts))
  return cache.get(k)
}

/** 1234 → "1,234" */
export const fmtNumber = (n, opts) => intl('NumberFormat', opts ?? {}).format(n)

/** A ratio → a whole percentage: 0.875 → "88%" (the language's own form). */
export const fmtPercent = (x) => intl('NumberFormat', { style: 'percent', maximumFractionDigits: 0 }).format(x)

/** Epoch seconds → a local date and time ("Dec 6, 2026, 03:06:57" / "2026/12/6 03:06:57"); null → "—". */
export const fmtTime = (sec) => sec == null
  ? '—'
  : intl('DateTimeFormat', { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' }).format(new Date(sec * 1000))

/** A Date → "03:06:57" */
export const fmtClock = (d) => intl('DateTimeFormat', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d)
/** A Date → "03:06" */
export const fmtHourMinute = (d) => intl('DateTimeFormat', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)

/** Seconds → "1h 2m", "3m 4s", "5s", "< 1 s" (Intl.DurationFormat where the browser has it). */
export function fmtSeconds (s) {
  if (s == null || !Number.isFinite(s)) return '—'
  if (s < 1) return t('common.underSecond')
  s = Math.round(s)
  const parts = s >= 3600 ? { hours: Math.floor(s / 3600), minutes: Math.floor(s / 60) % 60 } : s >= 60 ? { minutes: Math.floor(s / 60), seconds: s % 60 } : { seconds: s }
  if (typeof Intl.DurationFormat === 'function') return intl('DurationFormat', { style: 'narrow' }).format(parts)
  return Object.entries(parts).map(([u, n]) => `${n}${u[0]}`).join(' ')
}

/** Epoch seconds → "3 min ago" / "3分钟前". */
export function fmtAgo (sec, now = Date.now() / 1000) {
  if (sec == null) return '—'
  // a Jenkins clock a little ahead of this browser's would read "in 2 seconds"
  const d = Math.min(0, Math.round(sec - now))
  const abs = Math.abs(d)
  const rtf = intl('RelativeTimeFormat', { numeric: 'auto' })
  if (abs < 45) return rtf.format(d, 'second')
  if (abs < 45 * 60) return rtf.format(Math.round(d / 60), 'minute')
  if (abs < 22 * 3600) return rtf.format(Math.round(d / 3600), 'hour')
  return rtf.format(Math.round(d / 86400), 'day')
}

/** The message `key`, or `fallback` when no table has it (words that come from the server, e.g. event sources). */
export const tOr = (key, fallback) => MESSAGES[lang][key] ?? MESSAGES.en[key] ?? fallback
