import { invalid } from '../errors.js'

// Names people read must not deceive them: two spellings that look the same are one name, and no
// invisible or reordering character hides in one.

/** C0/C1 controls, bidi embeddings/overrides/isolates and the bare direction marks. */
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * A name as stored and compared: trimmed, NFC-normalized (a combining accent and a precomposed one are
 * the same name). Refused with 1001 naming `field`: control characters, bidi controls, lone surrogates
 * (not text: a database would keep U+FFFD instead), and a blank name.
 */
export function normalizeName (value: string, field: string): string {
  if (LONE.test(value)) throw invalid(`${field} contains a lone surrogate (not valid Unicode text)`)
  const bad = FORBIDDEN.exec(value)
  if (bad != null) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
    throw invalid(`${field} contains U+${code}, a control or bidirectional character`)
  }
  const name = value.trim().normalize('NFC')
  if (name === '') throw invalid(`${field} is blank`)
  return name
}
