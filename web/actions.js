/* global confirm */
import { useState } from '/ui/vendor/hooks.mjs'
import { post } from './api.js'
import { t } from './i18n.js'
import { startBuild } from './start-build.js'
import { ErrorBox, FINAL, html, userParams } from './util.js'

/** Rebuild (same plan, job and parameters, a new RequestID, RebuildOf this build) and Cancel (after a confirmation). */
export function BuildActions ({ productId, planId, build, onChange }) {
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const run = (fn) => async () => {
    setBusy(true)
    setError(null)
    try { await fn() } catch (e) { setError(e) } finally { setBusy(false) }
  }
  const rebuild = run(() => startBuild(productId, planId, userParams(build), build.JobName, build.BuildIndex))
  const cancel = run(async () => {
    if (!confirm(t('actions.confirmCancel', { n: build.BuildIndex }))) return
    await post('/Build/cancel', { DevOpsPlanID: Number(planId), BuildIndex: build.BuildIndex })
    onChange()
  })
  return html`
    <div class="actions">
      <button type="button" onClick=${rebuild} disabled=${busy}>${t('actions.rebuild')}</button>
      ${FINAL.has(build.Status) ? null : html`<button type="button" class="danger" onClick=${cancel} disabled=${busy}>${t('actions.cancel')}</button>`}
    </div>
    <${ErrorBox} error=${error} />`
}
