// Imported first by the entry point, before any module that needs Node.js 22 (node:module's
// enableCompileCache, better-sqlite3's build): on an older Node the start ends with this one line
// instead of a SyntaxError from deep inside an import. No imports here, so it loads on any Node.

/** The oldest Node.js major version the service runs on (package.json "engines"). */
export const NODE_MAJOR_NEEDED = 22

/** One line saying the Node.js in use is too old, or null when it will do. */
export function nodeTooOld (version: string = process.versions.node): string | null {
  const major = Number(version.split('.')[0])
  if (Number.isInteger(major) && major >= NODE_MAJOR_NEEDED) return null
  return `cannot start: TestCloud DevOps needs Node.js >= ${NODE_MAJOR_NEEDED}, this is Node.js ${version}; ` +
    `install Node.js ${NODE_MAJOR_NEEDED} or newer (an LTS release)`
}
