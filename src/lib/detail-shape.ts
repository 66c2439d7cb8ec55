/** How deep a Detail may nest and how many keys one of its objects may have (docs/API.md, Tightened rules). */
export const DETAIL_MAX_DEPTH = 32
export const DETAIL_MAX_KEYS = 256

/**
 * Why `detail` is refused, or null when it is within bounds. Iterative: a 6,000-level input must
 * not overflow the stack, and the walk stops at the first violation (a 90k-key object is not walked).
 */
export function detailShapeProblem (detail: unknown): string | null {
  const stack: Array<[unknown, number]> = [[detail, 1]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number]
    if (value === null || typeof value !== 'object') continue
    if (depth > DETAIL_MAX_DEPTH) return `Detail nests deeper than ${DETAIL_MAX_DEPTH} levels`
    const children = Array.isArray(value) ? value : Object.values(value)
    if (!Array.isArray(value) && children.length > DETAIL_MAX_KEYS) {
      return `Detail has an object with more than ${DETAIL_MAX_KEYS} keys (${children.length})`
    }
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return null
}
