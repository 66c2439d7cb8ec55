/** Now, as the Unix epoch seconds every stored time uses. */
export const now = (): number => Math.floor(Date.now() / 1000)
