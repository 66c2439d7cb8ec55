import { enableCompileCache } from 'node:module'

// The entry point. Node's compile cache (on disk, in the OS temp dir unless NODE_COMPILE_CACHE says
// otherwise) keeps V8's compiled code of every module between starts, which shortens a restart;
// it must be on before the application's modules load, hence this file and a dynamic import.
enableCompileCache?.()
await import('./main.js')
