import { invalid } from '../errors.js'

/**
 * A JobName becomes a Jenkins path (/job/a/job/b): a segment that is empty, `.` or `..` would walk
 * out of the job tree, and `://` means a URL was pasted where a name belongs (docs/API.md, Tightened rules).
 */
export function checkJobName (jobName: string | null | undefined, field = 'body/JobName'): void {
  if (jobName == null) return
  if (jobName.includes('://')) throw invalid(`${field} is a job name (folders as folder/sub/job), not a URL`)
  if (jobName.split('/').some((s) => ['', '.', '..'].includes(s.trim()))) {
    throw invalid(`${field} may not have an empty, "." or ".." segment (folders as folder/sub/job)`)
  }
}

/** A string decodeURIComponent accepts (a malformed `%` is 1001, not an error inside the handler). */
export function checkPercentEncoding (value: string | undefined, field: string): void {
  if (value == null) return
  try {
    decodeURIComponent(value)
  } catch {
    throw invalid(`${field} has a malformed %-escape`)
  }
}
