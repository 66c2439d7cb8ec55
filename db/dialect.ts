import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database as SqliteDatabase } from 'better-sqlite3'
import { type DialectAdapter, type Dialect, type Kysely, MysqlDialect, SqliteDialect } from 'kysely'

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
  return new RawSqliteDialect(withStatementCache(database))
}

/** The better-sqlite3 handle of each SQLite Kysely, found by its adapter (which `withPlugin` copies keep). */
const RAW = new WeakMap<DialectAdapter, SqliteDatabase>()

/** Kysely's SQLite dialect, remembering its database for the code that runs synchronous transactions on it. */
class RawSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase

  constructor (database: SqliteDatabase) {
    super({ database })
    this.#database = database
  }

  createAdapter (): DialectAdapter {
    const adapter = super.createAdapter()
    RAW.set(adapter, this.#database)
    return adapter
  }
}

/**
 * The better-sqlite3 database under `db`, or undefined on MySQL/MariaDB. Only while holding
 * Kysely's connection (`db.connection().execute`) may it be used: Kysely's own transactions
 * await between statements on the same handle, and a write run between them would join theirs.
 */
export function rawSqlite (db: Kysely<any>): SqliteDatabase | undefined {
  return RAW.get(db.getExecutor().adapter)
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
