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

t.test('a refused value is named but never echoed: it may carry a secret', async (t) => {
  const err = t.throws(() => loadConfig({ DATABASE_URL: 'postgres://ci:hunter2@db/testcloud' })) as Error
  t.match(err.message, /^DATABASE_URL: /)
  t.notMatch(err.message, /hunter2/)
  t.match(loadConfig({ PATH: '/usr/bin', HOME: '/root' }), { PORT: 3000 })
  t.notOk('PATH' in loadConfig({ PATH: '/usr/bin' }), 'variables the schema does not name stay out of the configuration')
})

// issue 12 point 5: credentials in a Jenkins URL are refused at start, naming the variable and the fix
t.test('JENKINS_URL and JENKINS_INSTANCES urls may not carry user:pass@', async (t) => {
  t.throws(() => loadConfig({ JENKINS_URL: 'http://ci:hunter2@jenkins:8080' }), /JENKINS_URL may not carry a user or password.*JENKINS_USER and JENKINS_TOKEN/)
  t.throws(() => loadConfig({ JENKINS_URL: 'https://ci@jenkins' }), /JENKINS_URL may not carry/)
  t.throws(() => loadConfig({ JENKINS_INSTANCES: '{"eu":{"url":"https://a:b@jenkins-eu"}}' }), /JENKINS_INSTANCES\.eu\.url may not carry a user or password/)
  t.equal(loadConfig({ JENKINS_URL: 'http://jenkins:8080' }).JENKINS_URL, 'http://jenkins:8080')
})

// issue 12 point 15: one clear line for an unknown LOG_LEVEL; a SQLite path under a missing directory is refused
t.test('LOG_LEVEL and a SQLite path: one clear message', async (t) => {
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), { message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")' })
  t.throws(() => loadConfig({ DATABASE_URL: 'sqlite:/nonexistent/dir/x.sqlite' }), /DATABASE_URL: the directory \/nonexistent does not exist/)
  t.equal(loadConfig({ DATABASE_URL: `sqlite:${t.testdir()}/data/x.sqlite` }).DATABASE_URL.endsWith('/data/x.sqlite'), true, 'one missing level (./data) is still created')
})
