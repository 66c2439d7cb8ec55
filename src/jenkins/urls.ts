import { isHttpUrl } from '../lib/bounds.js'
import { JenkinsError } from './error.js'

// How Jenkins names things in URLs, and the small rules every caller of the client repeats.

/** "a/b c/Test" → "/job/a/job/b%20c/job/Test" */
export function jobPath (jobName: string): string {
  return jobName.split('/').map((n) => `/job/${encodeURIComponent(n)}`).join('')
}

/** Blue Ocean's path of a run: "/blue/rest/organizations/jenkins/pipelines/a/pipelines/b/runs/7" */
export function blueRunPath (jobName: string, number: number): string {
  const pipelines = jobName.split('/').map((n) => `pipelines/${encodeURIComponent(n)}`).join('/')
  return `/blue/rest/organizations/jenkins/${pipelines}/runs/${number}`
}

/** "…/queue/item/42/" → 42; null when the Location names no queue item */
export function queueIdFromLocation (location: string | undefined): number | null {
  const m = location?.match(/\/queue\/item\/(\d+)\/?$/)
  return m == null ? null : Number(m[1])
}

/** "job/a/job/b%20c/" or "job/a/job/b/7/" → "a/b c"; null when it names no job (or a malformed %-escape does) */
export function jobNameFromUrl (url: string | undefined): string | null {
  if (url == null) return null
  const parts = url.split('/').filter((p) => p !== '')
  const names: string[] = []
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      if (parts[i] === 'job') names.push(decodeURIComponent(parts[++i]))
    }
  } catch {
    return null // URIError: "%E0%A4%A" is no name
  }
  return names.length === 0 ? null : names.join('/')
}

/** The job an http(s) run URL names ("…/job/a/job/b/7/" → "a/b"); null when it is no such URL or names none. */
export function jobOfRunUrl (url: unknown): string | null {
  return isHttpUrl(url) ? jobNameFromUrl(new URL(url).pathname) : null
}

/**
 * Whether a queue item belongs to `job`: queue ids are per instance and roll back after a crash, so
 * an item of another job with the same id is not ours. An item without a task URL is given the benefit.
 */
export function isOwnQueueItem (item: { taskUrl: string | null }, baseUrl: string, job: string): boolean {
  return item.taskUrl == null || jobNameFromUrl(new URL(item.taskUrl, baseUrl).pathname) === job
}

/** The answer, or null when Jenkins says 404 (the thing is gone); any other failure is thrown. */
export async function orNull404<T> (p: Promise<T>): Promise<T | null> {
  try {
    return await p
  } catch (err) {
    if (err instanceof JenkinsError && err.statusCode === 404) return null
    throw err
  }
}
