// npm run token -- create --name NAME --role ROLE | list | revoke --name NAME (entry point: token.ts)
// Works on the database of DATABASE_URL (migrating it first), like the server. `create` prints the
// new token once, alone on the last line; only its hash is stored.
import { Kysely } from 'kysely'
import { parseArgs } from 'node:util'
import { createDialect } from '../../db/dialect.js'
import { migrateToLatest } from '../../db/migrate.js'
import type { Database } from '../../db/schema.js'
import { loadConfig } from '../config.js'
import { ApiError } from '../errors.js'
import { type Role, ROLES } from '../lib/access.js'
import { createTokenReporting, listTokens, openModeEnded, revokeToken } from '../repositories/tokens.js'

const USAGE = `usage:
  npm run token -- create --name NAME --role ${ROLES.join('|')}
  npm run token -- list
  npm run token -- revoke --name NAME [--force]   (--force: also the last admin token)`

async function main (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`) // a usage error, not a crash: no stack trace
    return 2
  }
  const { positionals, values } = parsed
  if (values.help === true || positionals[0] === 'help') { console.log(USAGE); return 0 }
  const command = positionals[0]
  const name = values.name?.trim()
  if (
    command === 'create' &&
    (name == null || name === '' || name.length > 128 || !ROLES.includes(values.role as Role))
  ) {
    console.error(`create needs --name (1–128 characters) and --role (${ROLES.join(', ')})\n${USAGE}`)
    return 2
  }
  if (command === 'revoke' && (name == null || name === '')) {
    console.error(`revoke needs --name\n${USAGE}`)
    return 2
  }
  if (!['create', 'list', 'revoke'].includes(command ?? '')) { console.error(USAGE); return 2 }

  const config = loadConfig()
  const db = new Kysely<Database>({ dialect: await createDialect(config.DATABASE_URL) })
  try {
    await migrateToLatest(db, { info: () => {}, error: (o, m) => { console.error(m, o) } })
    if (command === 'create') {
      const { token, first } = await createTokenReporting(db, name as string, values.role as Role)
      if (first) {
        console.error(
          'open mode ended for good: from now on every API request needs a token (revoking tokens does not reopen it)'
        )
      }
      console.log(`created token "${String(name)}" with role ${String(values.role)}; it is shown only now:`)
      console.log(token)
    } else if (command === 'list') {
      const rows = await listTokens(db)
      if (rows.length === 0) {
        console.log(
          (await openModeEnded(db))
            ? 'no tokens: the API is closed to everyone (create one)'
            : 'no tokens: the API is open to anyone'
        )
      }
      for (const r of rows) {
        const used =
          r.last_used_at == null ? 'never used' : `last used ${new Date(r.last_used_at * 1000).toISOString()}`
        console.log(`${r.name}\t${r.role}\tcreated ${new Date(r.created_at * 1000).toISOString()}\t${used}`)
      }
    } else {
      const { lastAdmin } = await revokeToken(db, name as string, { force: values.force })
      console.log(`revoked token "${String(name)}"`)
      if (lastAdmin) {
        console.error('that was the last admin token: nobody can manage products or plans until a new one is created')
      }
    }
    return 0
  } catch (err) {
    console.error(err instanceof ApiError ? err.message : err)
    return 1
  } finally {
    await db.destroy()
  }
}

process.exitCode = await main(process.argv.slice(2))
