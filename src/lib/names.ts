import { invalid } from '../errors.js'

// Names people read (products, plans, stages) must not deceive them: two that look the same are one
// name, and nothing invisible or reordering hides in them.
// C0 and C1 controls (NUL, newline, tab, DEL…), which break logs and look like nothing:
const CONTROL = /\p{Cc}/u
// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bare marks
// (U+200E, U+200F, U+061C), which make text display in an order other than stored:
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u
// half of a UTF-16 pair without the other half
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The longest name stored (varchar(128): product, plan and stage names), in characters (code points). */
export const NAME_MAX_LENGTH = 128

/**
 * A name as it is stored and compared: trimmed and NFC-normalized (so "Café" typed with a combining
 * accent is the same name as with "é"), after refusing (1001, naming `field`) control characters,
 * bidi controls and lone surrogates (not text: a database would store U+FFFD in their place).
 * Use it on every name written: product and plan names here, stage names in the write path.
 */
export function normalizeName (value: string, field: string, maxLength = NAME_MAX_LENGTH): string {
  if (LONE_SURROGATE.test(value)) throw invalid(`${field} contains a lone surrogate (not valid Unicode text)`)
  const control = CONTROL.exec(value)
  if (control != null) {
    throw invalid(`${field} contains a control character (U+${codePoint(control[0])}) such as NUL, a newline or a tab`)
  }
  const bidi = BIDI.exec(value)
  if (bidi != null) {
    throw invalid(`${field} contains a bidirectional control character (U+${codePoint(bidi[0])}) ` +
      'that reorders how it displays')
  }
  const name = value.trim().normalize('NFC')
  if (name === '') throw invalid(`${field} is blank`)
  // the schema counted the characters as sent; NFC may make more of them (U+FB2C becomes three), and the
  // column holds maxLength: counted in code points, as the schema and the database count them
  const length = [...name].length
  if (length > maxLength) {
    throw invalid(`${field} is ${length} characters long once NFC-normalized (at most ${maxLength}): ` +
      'some characters, such as U+FB2C, normalize to several')
  }
  return name
}

const codePoint = (c: string): string => (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
