/* global confirm */
import { useState } from 'preact/hooks'
import { post } from './api.js'
import { startBuild } from './start-build.js'
import { ErrorBox, html } from './util.js'

const FINAL = new Set(['Pass', 'Fail', 'Aborted', 'Unstable', 'Skipped'])
// the service sets these itself on every Build/add
const INJECTED = new Set(['DevOpsPlanID', 'BuildIndex'])

/** Rebuild (same plan, job and parameters, a new RequestID) and Cancel (after a confirmation). */
export function BuildActions ({ productId, planId, build, onChange }) {
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const run = (fn) => async () => {
    setBusy(true)
    setError(null)
    try { await fn() } catch (e) { setError(e) } finally { setBusy(false) }
  }
  const rebuild = run(() => startBuild(productId, planId,
    (build.Parameter?.parameter ?? []).filter((p) => !INJECTED.has(p.name)), build.JobName))
  const cancel = run(async () => {
    if (!confirm(`Cancel build #${build.BuildIndex}? Jenkins stops it and it ends Aborted.`)) return
    await post('/Build/cancel', { DevOpsPlanID: Number(planId), BuildIndex: build.BuildIndex })
    onChange()
  })
  return html`
    <div class="actions">
      <button type="button" onClick=${rebuild} disabled=${busy}>Rebuild</button>
      ${FINAL.has(build.Status) ? null : html`<button type="button" class="danger" onClick=${cancel} disabled=${busy}>Cancel</button>`}
    </div>
    <${ErrorBox} error=${error} />`
}
