import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database as SqliteDatabase } from 'better-sqlite3'
import {
  type DatabaseConnection, type DialectAdapter, type Dialect, type Driver, type Kysely, MysqlDialect, SqliteDialect,
  SqliteDriver
} from 'kysely'
import type { Pool, PoolOptions } from 'mysql2'

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
    const options: PoolOptions = {
      uri: url,
      connectionLimit: poolSize,
      // MariaDB JSON columns would come back parsed while SQLite gives strings: keep both strings
      jsonStrings: true,
      charset: 'utf8mb4_bin',
      connectTimeout: 5000,
      enableKeepAlive: true
    }
    // connections open on first use: a process that never records progress opens none
    return new BatchingMysqlDialect(createPool(options), createPool({ ...options, multipleStatements: true }))
  }
  const { default: Sqlite } = await import('better-sqlite3')
  const path = url.slice('sqlite:'.length)
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new Sqlite(path)
  database.pragma('busy_timeout = 5000')
  await enableWal(database)
  // WAL with NORMAL: a commit is in the operating system once it returns, so a killed process loses
  // nothing it acknowledged; only a power cut or kernel crash can take the last commits back (README
  // "Durability"). Set here, not left to the default, which is FULL when a file is created and NORMAL
  // each time an existing WAL file is opened (better-sqlite3's build).
  database.pragma('synchronous = NORMAL')
  database.pragma('foreign_keys = ON')
  return new RawSqliteDialect(withStatementCache(database))
}

/**
 * Switches a file to WAL. When processes open one new file at once, the switch can answer
 * SQLITE_BUSY at once, without waiting out busy_timeout (about one start in four with six processes
 * in our reproduction), so it is retried for as long as busy_timeout would have waited.
 */
async function enableWal (database: SqliteDatabase, waitMs = 5000): Promise<void> {
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      database.pragma('journal_mode = WAL')
      return
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
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

  /**
   * On SQLITE_FULL or an I/O error SQLite may roll the transaction back itself; Kysely then sends
   * ROLLBACK, which fails ("no transaction is active") and is thrown in place of the real error, so a
   * full disk showed as an internal error. The ROLLBACK is skipped when no transaction is open.
   */
  createDriver (): Driver {
    const database = this.#database
    return new (class extends SqliteDriver {
      async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
        if (!database.inTransaction) return
        await super.rollbackTransaction(connection)
      }
    })({ database })
  }
}

/** The multi-statement pool of each MySQL Kysely, by its adapter. */
const BATCHES = new WeakMap<DialectAdapter, Pool>()

/**
 * Kysely's MySQL dialect with a second pool that accepts several statements per request, for the
 * write path alone: it sends its precompiled statements in two round trips instead of one each.
 * Kysely's own pool stays single-statement, so no other query can carry a second statement.
 */
class BatchingMysqlDialect extends MysqlDialect {
  readonly #batches: Pool

  constructor (pool: Pool, batches: Pool) {
    super({ pool })
    this.#batches = batches
  }

  createAdapter (): DialectAdapter {
    const adapter = super.createAdapter()
    BATCHES.set(adapter, this.#batches)
    return adapter
  }

  createDriver (): Driver {
    const driver = super.createDriver()
    const destroy = driver.destroy.bind(driver)
    driver.destroy = async () => {
      await destroy()
      await new Promise<void>((resolve) => { this.#batches.end(() => { resolve() }) })
    }
    return driver
  }
}

/**
 * The multi-statement pool under `db`, or undefined on SQLite. Only the write path's compiled,
 * parameterised statements may go through it.
 */
export function mysqlBatches (db: Kysely<any>): Pool | undefined {
  return BATCHES.get(db.getExecutor().adapter)
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
