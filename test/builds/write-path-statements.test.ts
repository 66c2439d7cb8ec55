import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely'
import t from 'tap'
import { applyProgress } from '../../src/builds/progress.js'
import { appWithBuilds } from '../helper.js'

/** Records each statement as "<verb> <table>" (the SQL differs between the two databases; this does not). */
class StatementLog implements KyselyPlugin {
  statements: string[] = []

  transformQuery ({ node }: PluginTransformQueryArgs) {
    this.statements.push(describe(node))
    return node
  }

  async transformResult ({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> { return result }

  take (): string[] {
    const out = this.statements
    this.statements = []
    return out
  }
}

function describe (node: OperationNode & Record<string, any>): string {
  const table = (n: any): string => n?.table?.identifier?.name ?? n?.identifier?.name ?? '?'
  switch (node.kind) {
    case 'SelectQueryNode': return `select ${table(node.from?.froms?.[0])}`
    case 'UpdateQueryNode': return `update ${table(node.table)}`
    case 'InsertQueryNode': return `insert ${table(node.into)}`
    default: return node.kind
  }
}

// Issue 14 point 3: the write path's statements are counted, so a change that adds one shows here.
t.test('the statements of one Build/update: a new stage, a changed one, a repeat that writes nothing', async (t) => {
  const { app, planId } = await appWithBuilds(t, 1)
  const log = new StatementLog()
  const db = app.db.withPlugin(log)
  const key = { planId, buildIndex: 1, source: 'callback' as const }
  const lock = ['update builds', 'select builds'] // the row lock (a no-op UPDATE), then the build with its product

  await applyProgress(db, { ...key, stageName: 'Checkout', status: 'Pass' })
  t.same(log.take(), [...lock, 'select stages', 'select stages', 'insert stages',
    'update builds', 'update plans', // the build leaves the queue: Running, and the plan's Build/list version moves
    'update builds', 'insert events'], 'first stage: the build starts too')

  await applyProgress(db, { ...key, stageName: 'Build', status: 'Running' })
  t.same(log.take(), [...lock, 'select stages', 'select stages', 'insert stages', 'update builds', 'insert events'],
    'a new stage: find it, count (the 1,000 cap and the next StageID), insert, revision, event')

  await applyProgress(db, { ...key, stageName: 'Build', status: 'Pass', detail: { URL: 'http://jenkins/job/Test/1/' } })
  t.same(log.take(), [...lock, 'select stages', 'update stages', 'update builds', 'insert events'], 'a changed stage: six statements')

  const repeat = await applyProgress(db, { ...key, stageName: 'Build', status: 'Pass', detail: { URL: 'http://jenkins/job/Test/1/' } })
  t.equal(repeat.changed, false)
  t.same(log.take(), [...lock, 'select stages'], 'a repeat: no revision bump, no event, nothing written')

  await applyProgress(db, { ...key, stageName: 'Test', status: 'Running', preStageNames: ['Checkout', 'Build'] })
  t.same(log.take(), [...lock, 'select stages', 'select stages', 'select stages', 'insert stages', 'update builds', 'insert events'],
    'predecessors by name: one read for all of them, not every stage of the build')
})
