import { ACCEPTED_WORDS, STATUSES } from './builds/status.js'

const errorTable = [
  ['1000', '200', 'OK (Description is "OK", or says what was ignored)'],
  ['1001', '400', 'invalid parameter: missing, wrong type, out of range, malformed JSON, unknown status; Description names the field'],
  ['1002', '404', 'not found: product, plan, build, or route'],
  ['1003', '409', 'conflict: a name that already exists under the same parent, a delete that would orphan children'],
  ['1004', '401', 'missing or wrong credentials'],
  ['1005', '403', 'credentials valid but not allowed for this action'],
  ['1006', '503', 'Jenkins is not configured on this server'],
  ['1007', '502', 'Jenkins rejected or did not answer (unknown job, auth, timeout); Description says which'],
  ['1008', '413', 'body over 1 MiB'],
  ['1009', '429', 'too many requests; Retry-After says when'],
  ['1010', '503', 'the database is unreachable; retry later'],
  ['1099', '500', 'internal error (never for bad input)']
].map(([code, http, meaning]) => `| ${code} | ${http} | ${meaning} |`).join('\n')

export const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'TestCloud DevOps API',
    version: '0.1.0',
    description: [
      'Runs and watches Jenkins pipelines: **Products → DevOps plans → Builds → Stages**.',
      '',
      'Every answer is JSON with `ErrorCode` and `Description`. Times are Unix epoch seconds; a time not known yet is `null`.',
      'Integers may be sent as strings (`"7"`), in query strings and JSON bodies alike. IDs and indexes are ≥ 1.',
      '',
      '| ErrorCode | HTTP | meaning |',
      '|---|---|---|',
      errorTable,
      '',
      `Statuses in answers: ${STATUSES.join(', ')}. On input, any case and these words: ${ACCEPTED_WORDS.join(', ')}.`,
      'Statuses only move forward (Queued → Running ⇄ Paused → a final one); a backward move is answered 1000 and ignored.',
      '',
      'Access: `Authorization: Bearer <token>` or `X-TestCloud-Token`. Roles: `read` (every GET), `trigger` (read + Build/add, ' +
      'Build/cancel), `callback` (Build/update, the webhook), `admin` (everything). While no token exists the server is open.'
    ].join('\n')
  },
  servers: [{ url: '/', description: 'this server' }],
  components: {
    securitySchemes: {
      bearer: { type: 'http' as const, scheme: 'bearer', description: 'an API token: npm run token -- create --name NAME --role ROLE' },
      token: { type: 'apiKey' as const, in: 'header', name: 'X-TestCloud-Token' }
    }
  },
  // no token exists yet: the server is open; once one does, every API request needs one
  security: [{ bearer: [] }, { token: [] }, {}] as Array<Record<string, string[]>>,
  tags: [
    { name: 'Product', description: 'Products: a team\'s product' },
    { name: 'Plan', description: 'DevOps plans: one pipeline of a product, normally one Jenkins job' },
    { name: 'Build', description: 'Builds: one run of a plan' },
    { name: 'Stage', description: 'Stages of a build, as a DAG through PreStageID' },
    { name: 'Webhook', description: 'What Jenkins pushes' }
  ]
}
