import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

// One schema for the server, the tests and the CLIs; a refused value's error names the variable.
export const ConfigSchema = Type.Object({
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATABASE_URL: Type.String({ pattern: '^(sqlite:.+|mysql://.+)$', default: 'sqlite:./data/testcloud.sqlite' }),
  JENKINS_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  JENKINS_USER: Type.Optional(Type.String({ minLength: 1 })),
  JENKINS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  JENKINS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  POLL_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 5000 }),
  /** more Jenkins servers, by name: {"eu":{"url":"https://…","user":"…","token":"…"}}; plans pick one with JenkinsName */
  JENKINS_INSTANCES: Type.Optional(Type.String()),
  /** at least 32 characters (checked in loadConfig with a message that says how to make one) */
  WEBHOOK_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  /** open event streams (GET /events) one server process holds at most; beyond, 1010 (HTTP 503) */
  STREAM_MAX_SUBSCRIBERS: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  /** how often each process reads new events for its stream subscribers (one query shared by all) */
  STREAM_POLL_MS: Type.Integer({ minimum: 20, maximum: 10_000, default: 250 }),
  /** requests per minute per token (per IP while the server is open); 0 turns the limit off */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 12_000 }),
  /** false: runs Jenkins starts itself (timer, SCM, a person, replay) are not recorded as builds */
  DISCOVER_BUILDS: Type.Boolean({ default: true }),
  /** failed authentications (1004) per address per minute before every API request from it is 1009; 0 turns it off */
  AUTH_FAILURES_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 60 }),
  /** MySQL/MariaDB connections per server process (README, "Database pool": measured with npm run bench) */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** retention: ended builds older than this many days are deleted with their stages and events; 0 keeps them for ever */
  RETAIN_DAYS: Type.Integer({ minimum: 0, maximum: 36_500, default: 0 }),
  /** retention: builds kept per plan (the newest by BuildIndex), older ended ones are deleted; 0 keeps all */
  RETAIN_BUILDS: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  /** retention: time between runs (one process does each run, whatever the number of processes) */
  RETAIN_INTERVAL_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 600_000 }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' })
})
export type Config = Static<typeof ConfigSchema>

const InstanceSchema = Type.Object({
  url: Type.String({ pattern: '^https?://[^\\s]+$' }),
  user: Type.Optional(Type.String({ minLength: 1 })),
  token: Type.Optional(Type.String({ minLength: 1 }))
}, { additionalProperties: false })
export type JenkinsInstanceConfig = Static<typeof InstanceSchema>
/** Instance names as they may appear in a plan's JenkinsName */
export const INSTANCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/

export function loadConfig (data: Record<string, unknown> = process.env): Config {
  // Empty variables count as unset, so `JENKINS_URL= npm start` means "no Jenkins".
  const present = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== ''))
  // checked first: the union's error would be one "expected" per allowed level
  if (present.LOG_LEVEL != null && !LOG_LEVELS.includes(String(present.LOG_LEVEL))) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${String(present.LOG_LEVEL)}")`)
  }
  // only the variables the schema names, strings converted to its types, defaults filled in
  const known = Object.fromEntries(Object.keys(ConfigSchema.properties).filter((k) => k in present).map((k) => [k, present[k]]))
  const config = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, known)) as Config
  const error = Value.Errors(ConfigSchema, config).First()
  // the value is not echoed: it may be a URL or a token with a secret in it
  if (error != null) throw new Error(`${error.path.slice(1)}: ${error.message.toLowerCase()}`)
  if (config.WEBHOOK_TOKEN != null && config.WEBHOOK_TOKEN.length < 32) {
    throw new Error(`WEBHOOK_TOKEN must be at least 32 characters (it has ${config.WEBHOOK_TOKEN.length}); make one with \`openssl rand -hex 32\``)
  }
  sqliteDirectoryExists(config.DATABASE_URL)
  noCredentialsInUrl(config.JENKINS_URL, 'JENKINS_URL', 'JENKINS_USER and JENKINS_TOKEN')
  jenkinsInstances(config)
  return config
}

/** JENKINS_INSTANCES parsed and checked; throws an error naming the variable. */
export function jenkinsInstances (config: Config): Record<string, JenkinsInstanceConfig> {
  if (config.JENKINS_INSTANCES == null) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(config.JENKINS_INSTANCES)
  } catch (err) {
    throw new Error(`JENKINS_INSTANCES must be a JSON object: ${(err as Error).message}`)
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('JENKINS_INSTANCES must be a JSON object of instances')
  for (const [name, value] of Object.entries(parsed)) {
    if (!INSTANCE_NAME.test(name)) throw new Error(`JENKINS_INSTANCES: "${name}" is not a valid name (letters, digits, _ . -)`)
    if (!Value.Check(InstanceSchema, value)) throw new Error(`JENKINS_INSTANCES.${name} needs {"url":"http(s)://…","user"?,"token"?}`)
    noCredentialsInUrl(value.url, `JENKINS_INSTANCES.${name}.url`, '"user" and "token"')
  }
  return parsed as Record<string, JenkinsInstanceConfig>
}

// A password in the URL ends up in error texts and logs (undici quotes the URL); credentials have their own settings.
function noCredentialsInUrl (url: string | undefined, variable: string, instead: string): void {
  if (url == null) return
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`${variable} is not a valid URL`)
  }
  if (parsed.username !== '' || parsed.password !== '') throw new Error(`${variable} may not carry a user or password (user:pass@): set ${instead} instead`)
}

// The server creates the database file and at most its own directory (./data): a path under a
// directory that does not exist is a typo, refused rather than created.
function sqliteDirectoryExists (url: string): void {
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return
  const dir = dirname(resolve(url.slice('sqlite:'.length)))
  if (!existsSync(dirname(dir))) throw new Error(`DATABASE_URL: the directory ${dirname(dir)} does not exist; create it or fix the path`)
}
