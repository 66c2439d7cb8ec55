import { readFileSync } from 'node:fs'
import t from 'tap'
import { appWithBuilds, post, stageList } from '../helper.js'

// The declarative recipe in jenkins/Jenkinsfile against the rules it must follow (docs/API.md,
// Round 2): replays report nothing, branches name their predecessor, the next stage fans in, each
// stage reports its own result. Then its callbacks, as it sends them, build the right DAG.
const recipe = readFileSync(new URL('../../jenkins/Jenkinsfile', import.meta.url), 'utf8')

t.test('the recipe: replay guard, explicit predecessors for branches and fan-in, a result per outcome', async (t) => {
  t.match(recipe, /getBuildCauses\('org\.jenkinsci\.plugins\.workflow\.cps\.replay\.ReplayCause'\)\) \{ return \}/, 'a replay or rebuild reports nothing')
  for (const branch of ['Unit', 'Integration']) {
    const block = recipe.slice(recipe.indexOf(`stage('${branch}')`), recipe.indexOf(`stage('${branch}')`) + 700)
    t.match(block, /report\(env\.STAGE_NAME, 'running', \['Build'\]\)/, `${branch} names the stage before the parallel stage`)
  }
  t.match(recipe, /stage\('Deploy'\)[\s\S]*report\(env\.STAGE_NAME, 'running', \['Unit', 'Integration'\]\)/, 'Deploy fans in from every branch')
  t.notMatch(recipe, /unsuccessful/, 'unstable and aborted are not reported as failed')
  t.equal((recipe.match(/aborted \{ report\(env\.STAGE_NAME, 'aborted'/g) ?? []).length, 4)
})

t.test('its callbacks, branches arriving in any order, build the DAG', async (t) => {
  const { app, planId } = await appWithBuilds(t)
  const report = async (StageName: string, Status: string, PreStageName?: string[]) => {
    const res = await post(app, '/Build/update', { DevOpsPlanID: String(planId), BuildIndex: '1', StageName, Status, Detail: { JenkinsBuildNumber: '1' }, ...(PreStageName == null ? {} : { PreStageName }) })
    t.equal(res.json().ErrorCode, 1000, `${StageName} ${Status}`)
  }
  await report('Build', 'running')
  await report('Build', 'success')
  await report('Integration', 'running', ['Build'])
  await report('Unit', 'running', ['Build'])
  await report('Unit', 'success', ['Build'])
  await report('Integration', 'success', ['Build'])
  await report('Deploy', 'running', ['Unit', 'Integration'])
  await report('Deploy', 'unstable')
  await report('', 'UNSTABLE')
  t.same((await stageList(app, planId)).map((s) => [s.StageName, s.PreStageID, s.Status]),
    [['Build', [], 'Pass'], ['Integration', [1], 'Pass'], ['Unit', [1], 'Pass'], ['Deploy', [3, 2], 'Unstable']])
})
