// Folder cycles below src/, run by `npm run lint` with --include-only '^src/[^/]+/'.
const base = require('./.dependency-cruiser.cjs')

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'The folders below src/ form a one-way stack: none reaches back into one that reaches it. ' +
        '(src/ itself holds both the top, app.ts, and the bottom, errors.ts and status.ts: run with ' +
        "--include-only '^src/[^/]+/' so its files are left out.)",
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+$', circular: true }
    }
  ],
  options: base.options
}
