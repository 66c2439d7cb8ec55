import { h } from '/ui/vendor/preact.mjs'
import htm from '/ui/vendor/htm.mjs'

/** Tagged templates for Preact, no build step. */
export const html = htm.bind(h)
