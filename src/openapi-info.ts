import { ERRORS, ErrorCode } from './errors.js'
import { ACCEPTED_WORDS, STATUSES } from './status.js'

const errorTable = Object.values(ERRORS).map((e) => `| ${e.code} | ${e.http} | ${e.meaning} |`).join('\n')

export const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'TestCloud DevOps API',
    version: '0.1.0',
    license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
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
      `Statuses only move forward (Queued → Running ⇄ Paused → a final one); a backward move is answered ${ErrorCode.OK} and ignored.`,
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

/**
 * The stable operationId of each operation, for client generators (openapi-generator,
 * openapi-typescript): verb + resource, e.g. Build/add → addBuild, Stage/info → getStageInfo.
 */
export function operationIdFor (url: string): string | undefined {
  const m = url.match(/\/TestCloud\/DevOps\/(?:([A-Za-z]+)\/)?([A-Za-z]+)$/)
  if (m == null) return undefined
  const [, resource, action] = m
  if (resource == null) return action === 'events' ? 'streamEvents' : undefined
  if (resource === 'Webhook') return `receive${action[0].toUpperCase()}${action.slice(1)}Webhook`
  switch (action) {
    case 'list': return `list${resource}s`
    case 'info': return `get${resource}Info`
    case 'events': return `list${resource}Events`
    case 'parameters': return `get${resource}Parameters`
    default: return `${action}${resource}`
  }
}
