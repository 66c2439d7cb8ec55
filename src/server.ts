import { nodeTooOld } from './node-version.js'

// The entry point. First the Node.js version: everything else is imported dynamically after it, so
// an old Node stops with one line naming the version needed instead of a SyntaxError.
const tooOld = nodeTooOld()
if (tooOld != null) {
  console.error(tooOld)
  process.exit(1)
}
// Node's compile cache (on disk, in the OS temp dir unless NODE_COMPILE_CACHE says otherwise) keeps
// V8's compiled code of every module between starts, which shortens a restart; it must be on before
// the application's modules load, hence this file and a dynamic import.
const { enableCompileCache } = await import('node:module') as { enableCompileCache?: () => unknown }
enableCompileCache?.()
await import('./main.js')
