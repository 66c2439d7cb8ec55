/* global localStorage, navigator */
import insights from './messages/insights.js'

// Stand-in for the dashboard's i18n module until it lands: the same t(key, vars) over this area's
// messages, the language from the same stored choice, else the browser's.
const stored = () => { try { return localStorage.getItem('testcloud.lang') } catch { return null } }
const lang = ['en', 'zh'].includes(stored())
  ? stored()
  : (navigator.languages ?? [navigator.language]).some((l) => /^zh\b/i.test(l)) ? 'zh' : 'en'

export function t (key, vars) {
  const text = insights[lang][key] ?? insights.en[key] ?? key
  return vars == null ? text : text.replace(/\{(\w+)\}/g, (m, k) => vars[k] == null ? m : String(vars[k]))
}
