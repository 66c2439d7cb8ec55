// The import structure `npm run lint` holds the code to: a one-way stack, no circles. The folder
// cycles are checked by .dependency-cruiser-folders.cjs, over src/'s subfolders only.
// routes, plugins → builds (use cases) → jenkins (adapter), repositories → lib, schemas → errors, status
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A file circle makes load order matter and hides which module depends on which.',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    {
      name: 'adapter-below-use-cases',
      comment: 'src/jenkins/ speaks Jenkins only; the use cases in src/builds/ sit above it.',
      severity: 'error',
      from: { path: '^src/jenkins/' },
      to: { path: '^src/(builds|routes)/' }
    },
    {
      name: 'bottom-stays-bottom',
      comment: 'src/errors.ts and src/status.ts sit under every folder of src/ but lib/ (pure helpers): ' +
        'one of them importing a repository or a use case would close a loop through the folders.',
      severity: 'error',
      from: { path: '^src/(errors|status)\\.ts$' },
      to: { path: '^src/(?!lib/)[^/]+/' }
    },
    {
      name: 'src-not-from-outside',
      comment: 'Application code never imports tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true
  }
}
