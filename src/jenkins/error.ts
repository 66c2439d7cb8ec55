/** Jenkins refused or did not answer; `message` says which, for the client's Description. */
export class JenkinsError extends Error {
  constructor (message: string, readonly statusCode?: number) { super(message) }
}
