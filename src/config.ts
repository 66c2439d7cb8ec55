import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'

// One schema for the server, the tests and the CLIs. env-schema's Ajv error names the variable.
export const ConfigSchema = Type.Object({
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATABASE_URL: Type.String({ pattern: '^(sqlite:.+|mysql://.+)$', default: 'sqlite:./data/testcloud.sqlite' }),
  JENKINS_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  JENKINS_USER: Type.Optional(Type.String({ minLength: 1 })),
  JENKINS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  JENKINS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  POLL_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 5000 }),
  WEBHOOK_TOKEN: Type.Optional(Type.String({ minLength: 8 })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
})
export type Config = Static<typeof ConfigSchema>

export function loadConfig (data: Record<string, unknown> = process.env): Config {
  // Empty variables count as unset, so `JENKINS_URL= npm start` means "no Jenkins".
  const present = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== ''))
  return envSchema<Config>({ schema: ConfigSchema, data: present, dotenv: false })
}
