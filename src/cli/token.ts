import { nodeTooOld } from '../node-version.js'

// The token command's entry point: like the server's, it checks the Node.js version before importing
// anything that needs Node.js 22 (better-sqlite3 13 crashes on Node 20 at its first query).
const tooOld = nodeTooOld()
if (tooOld != null) {
  console.error(tooOld)
  process.exit(1)
}
await import('./token-command.js')
