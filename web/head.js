/* global document */
import { useEffect } from '/ui/vendor/hooks.mjs'
import { statusText } from './util.js'

/**
 * The tab's title and favicon follow what the page shows: "✗ #12 Fail · Deploy — TestCloud", the
 * icon in the status' colour, so a row of open tabs says which build is red.
 */
export function useHead (title, status) {
  useEffect(() => {
    document.title = `${status ? `${statusText(status)} · ` : ''}${title ? `${title} — ` : ''}TestCloud DevOps`
    const link = document.querySelector('link[rel="icon"]')
    if (link != null) link.href = `/ui/favicon/${status ?? 'default'}.svg`
  }, [title, status])
}
