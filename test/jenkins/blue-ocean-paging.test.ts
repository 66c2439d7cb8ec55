import t from 'tap'
import { appWithBuilds, stageList, tickLater } from '../helper.js'
import type { StageSpec } from '../fixtures/fake-jenkins.js'

// Blue Ocean pages a container at 100 (PagedResponse.DEFAULT_LIMIT, a Link header for the rest): a
// matrix of 60 cells × 2 stages lost every stage and edge past the 100th node, and the ids wfapi
// showed were never all stored, so Blue Ocean was asked on every tick (review S-M3).

const MATRIX: StageSpec[] = ['Checkout', {
  name: 'Matrix',
  parallel: Array.from({ length: 60 }, (_, i) => ({ name: `cell ${i + 1}`, stages: ['Build', 'Test'] }))
}]

t.test('stage view + Blue Ocean: a 60-cell matrix keeps every stage, and Blue Ocean is not asked again when nothing changed', async (t) => {
  const { app, jenkins, planId } = await appWithBuilds(t, 1)
  const run = jenkins.startQueued(jenkins.lastQueueItem()?.id as number)
  jenkins.playPipeline(run, MATRIX, { finish: false })
  await tickLater(app)
  const stages = await stageList(app, planId)
  t.equal(stages.length, 2 + 60 * 3, 'Checkout, Matrix, and each cell with its two stages')
  const cell60 = stages.find((s) => s.StageName === 'cell 60')
  t.ok(cell60 != null, 'the 60th cell is there')
  const matrix = stages.find((s) => s.StageName === 'Matrix')
  t.same(cell60?.PreStageID, [matrix?.StageID], 'with its edge from the matrix stage')
  const blue = (): number => jenkins.countRequests((r) => r.path.startsWith('/blue/'))
  const asked = blue()
  await tickLater(app)
  t.equal(blue(), asked, 'a tick where nothing changed does not ask Blue Ocean')
})
