import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { type DatabaseConnection, type Dialect, type Driver, MysqlDialect, SqliteDialect, SqliteDriver } from 'kysely'

export type DialectName = 'mysql' | 'sqlite'

export function dialectName (url: string): DialectName {
  return url.startsWith('mysql://') ? 'mysql' : 'sqlite'
}

/**
 * `sqlite:PATH`, `sqlite::memory:` or `mysql://user:pass@host:port/db`. Each driver is loaded only
 * when used: a server on SQLite never loads mysql2, and the other way round (start time, memory).
 */
export async function createDialect (url: string, { poolSize = 10 }: { poolSize?: number } = {}): Promise<Dialect> {
  if (dialectName(url) === 'mysql') {
    const { createPool } = await import('mysql2')
    return new MysqlDialect({
      pool: createPool({
        uri: url,
        connectionLimit: poolSize,
        // MariaDB JSON columns would come back parsed while SQLite gives strings: keep both strings
        jsonStrings: true,
        charset: 'utf8mb4_bin',
        connectTimeout: 5000,
        enableKeepAlive: true
      })
    })
  }
  const { default: Sqlite } = await import('better-sqlite3')
  const path = url.slice('sqlite:'.length)
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new Sqlite(path)
  database.pragma('journal_mode = WAL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  return new RollbackKeepingSqliteDialect(withStatementCache(database))
}

/**
 * On SQLITE_FULL or an I/O error SQLite may roll the transaction back itself; Kysely then sends
 * ROLLBACK, which fails ("no transaction is active") and is thrown in place of the real error, so a
 * full disk showed as an internal error. The ROLLBACK is skipped when no transaction is open.
 */
class RollbackKeepingSqliteDialect extends SqliteDialect {
  constructor (
    private readonly database: { inTransaction: boolean } & ConstructorParameters<typeof SqliteDialect>[0]['database']
  ) {
    super({ database })
  }

  createDriver (): Driver {
    const database = this.database
    return new (class extends SqliteDriver {
      async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
        if (typeof database === 'object' && !database.inTransaction) return
        await super.rollbackTransaction(connection)
      }
    })({ database })
  }
}

/**
 * Kysely prepares every statement anew, which costs about as much as running it on SQLite. The
 * service issues a small, fixed set of statements, so each SQL text is prepared once and reused
 * (safe: Kysely runs them to completion, it never leaves one iterating).
 */
function withStatementCache<D extends { prepare: (sql: string) => unknown }> (database: D): D {
  const prepare = database.prepare.bind(database)
  const cache = new Map<string, unknown>()
  database.prepare = (sql: string) => {
    let statement = cache.get(sql)
    if (statement == null) {
      if (cache.size >= 1000) cache.clear() // bounded, should a caller ever build SQL text freely
      statement = prepare(sql)
      cache.set(sql, statement)
    }
    return statement
  }
  return database
}
