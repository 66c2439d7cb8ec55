import t from 'tap'
import { loadConfig } from '../src/config.js'

t.test('defaults are the contract\'s', async (t) => {
  t.match(loadConfig({}), {
    HOST: '127.0.0.1', PORT: 3000, DATABASE_URL: 'sqlite:./data/testcloud.sqlite', POLL_INTERVAL_MS: 5000, LOG_LEVEL: 'info'
  })
  t.equal(loadConfig({}).JENKINS_URL, undefined)
  t.equal(loadConfig({ JENKINS_URL: '' }).JENKINS_URL, undefined, 'an empty variable counts as unset')
  t.equal(loadConfig({ PORT: '8080' }).PORT, 8080)
})

t.test('an invalid value names the variable', async (t) => {
  const bad: Array<[string, string]> = [
    ['PORT', 'abc'], ['PORT', '70000'], ['DATABASE_URL', 'postgres://x'], ['JENKINS_URL', 'jenkins.local'],
    ['POLL_INTERVAL_MS', '-5'], ['LOG_LEVEL', 'loud'], ['JENKINS_TIMEOUT_MS', 'soon']
  ]
  for (const [name, value] of bad) {
    t.throws(() => loadConfig({ [name]: value }), new RegExp(name), `${name}=${value}`)
  }
})
