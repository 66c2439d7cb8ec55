// The tail of a Jenkins log as people read it: the last lines only, and no terminal escapes.

/** lines and UTF-8 bytes an excerpt keeps at most */
export const EXCERPT_LINES = 200
export const EXCERPT_BYTES = 64 * 1024
/** an error message is a sentence or a stack trace head, not a log */
const ERROR_BYTES = 8 * 1024

// Jenkins' hidden console notes (ConsoleNote: ESC[8mha:<base64>ESC[0m) when a raw log slips through
// eslint-disable-next-line no-control-regex
const CONSOLE_NOTE = /\u001b\[8mha:[^\u001b]*\u001b\[0m/g
// CSI (colours, cursor moves), OSC (titles, hyperlinks) and the two-byte escapes
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g

/** Removes colour codes and other terminal escapes; a line redrawn with \r keeps its last state. */
export function stripAnsi (text: string): string {
  return text.replace(CONSOLE_NOTE, '').replace(ESCAPES, '').replace(/\r\n/g, '\n')
    .split('\n').map((line) => {
      const l = line.replace(/\r+$/, '')
      return l.slice(l.lastIndexOf('\r') + 1)
    }).join('\n')
}

export interface Excerpt { text: string, truncated: boolean }

/**
 * The last EXCERPT_LINES lines of `text` within EXCERPT_BYTES, escapes removed. `cut`: the text is
 * already only the end of a longer log (then the first, partial line is dropped).
 */
export function logExcerpt (text: string, cut = false): Excerpt {
  let lines = stripAnsi(text).split('\n')
  let truncated = cut
  if (cut && lines.length > 1) lines = lines.slice(1)
  if (lines.at(-1) === '') lines.pop()
  if (lines.length > EXCERPT_LINES) {
    lines = lines.slice(-EXCERPT_LINES)
    truncated = true
  }
  let out = lines.join('\n')
  if (Buffer.byteLength(out) > EXCERPT_BYTES) {
    out = tailBytes(out, EXCERPT_BYTES)
    const nl = out.indexOf('\n')
    if (nl >= 0 && nl < out.length - 1) out = out.slice(nl + 1) // start on a whole line
    truncated = true
  }
  return { text: out, truncated }
}

/** An error message without escapes, at most ERROR_BYTES (its head: the message comes first). */
export function errorText (text: string | null | undefined): string {
  if (text == null) return ''
  const clean = stripAnsi(text).trim()
  if (Buffer.byteLength(clean) <= ERROR_BYTES) return clean
  return Buffer.from(clean).subarray(0, ERROR_BYTES).toString('utf8').replace(/\uFFFD$/, '')
}

/** The last `max` bytes of `text`, never splitting a character. */
function tailBytes (text: string, max: number): string {
  const bytes = Buffer.from(text)
  let start = bytes.length - max
  while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++ // a continuation byte
  return bytes.subarray(start).toString('utf8')
}

/** Text from an HTML fragment (wfapi sends the log as HTML): tags dropped, entities decoded. */
export function htmlToText (html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(#x[0-9a-f]+|#[0-9]+|lt|gt|amp|quot|apos|nbsp);/gi, (_m, e: string) => {
    const k = e.toLowerCase()
    if (k.startsWith('#')) {
      const code = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ''
    }
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' } as Record<string, string>)[k]
  })
}
