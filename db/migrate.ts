import type { Kysely } from 'kysely'
import { Migrator } from 'kysely/migration'
import { migrations } from './migrations/index.js'

interface Log { info: (msg: string) => void, error: (obj: object, msg: string) => void }

export function migrator (db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

/**
 * Brings the schema to the newest migration; throws when one keeps failing. On MySQL Kysely takes a
 * lock, but on SQLite it takes none, so two processes starting on one new file race: the loser's
 * transaction fails and rolls back, and its retry finds the work done.
 */
export async function migrateToLatest (db: Kysely<any>, log: Log, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator(db).migrateToLatest()
    for (const r of results ?? []) {
      if (r.status === 'Success') log.info(`migration ${r.migrationName} applied`)
    }
    if (error == null) return
    if (attempt >= attempts) {
      log.error({ migration: results?.find((r) => r.status === 'Error')?.migrationName }, 'migration failed')
      throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
  }
}
