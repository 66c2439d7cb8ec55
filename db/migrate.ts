import { type Kysely, Migrator } from 'kysely'
import { migrations } from './migrations/index.js'

interface Log { info: (msg: string) => void, error: (obj: object, msg: string) => void }

export function migrator (db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

/** Brings the schema to the newest migration; throws when one fails. Kysely locks, so concurrent starts are safe. */
export async function migrateToLatest (db: Kysely<any>, log: Log): Promise<void> {
  const { error, results } = await migrator(db).migrateToLatest()
  for (const r of results ?? []) {
    if (r.status === 'Success') log.info(`migration ${r.migrationName} applied`)
    else if (r.status === 'Error') log.error({ migration: r.migrationName }, 'migration failed')
  }
  if (error != null) throw error
}
