import { type Config, jenkinsInstances } from '../config.js'
import { JenkinsClient } from './client.js'

/** The Jenkins servers this service knows: the default one (JENKINS_*) and JENKINS_INSTANCES by name. */
export class JenkinsRegistry {
  private readonly named = new Map<string, JenkinsClient>()
  readonly default: JenkinsClient | null

  constructor (config: Config) {
    const timeoutMs = config.JENKINS_TIMEOUT_MS
    this.default =
      config.JENKINS_URL == null
        ? null
        : new JenkinsClient({
          name: null,
          url: config.JENKINS_URL,
          user: config.JENKINS_USER,
          token: config.JENKINS_TOKEN,
          timeoutMs
        })
    for (const [name, i] of Object.entries(jenkinsInstances(config))) {
      this.named.set(name, new JenkinsClient({ name, url: i.url, user: i.user, token: i.token, timeoutMs }))
    }
  }

  /** The client for a plan's or build's JenkinsName (null name = the default); null when not configured. */
  client (name: string | null): JenkinsClient | null {
    return name == null ? this.default : this.named.get(name) ?? null
  }

  has (name: string): boolean {
    return this.named.has(name)
  }

  names (): string[] {
    return [...this.named.keys()]
  }

  get configured (): boolean {
    return this.default != null || this.named.size > 0
  }

  /** Requests made to every instance so far. */
  get requests (): number {
    return [...this.named.values(), ...(this.default == null ? [] : [this.default])].reduce((n, c) => n + c.requests, 0)
  }
}
