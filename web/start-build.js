/* global location */
import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { get, post } from './api.js'
import { t } from './i18n.js'
import { ErrorBox, INJECTED, html } from './util.js'

/** A RequestID for Build/add: a retried click never starts a second build. */
export function requestId () {
  // randomUUID exists only in secure contexts (https, localhost); a plain-http host gets the same from random bytes
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/** Build/add with a fresh RequestID, then the new build's page. */
export async function startBuild (productId, planId, parameter, jobName, rebuildOf) {
  const body = { DevOpsPlanID: Number(planId), RequestID: requestId(), Parameter: { parameter } }
  if (jobName) body.JobName = jobName
  if (rebuildOf != null) body.RebuildOf = rebuildOf
  const { BuildIndex } = await post('/Build/add', body)
  location.hash = `#/product/${productId}/plan/${planId}/build/${BuildIndex}`
}

function Field ({ p, value, onInput }) {
  const id = `param-${p.Name}`
  const label = html`<label for=${id}>${p.Name}</label>`
  const hint = p.Description ? html`<small class="hint">${p.Description}</small>` : null
  if (p.Type === 'boolean') {
    return html`<div class="field check"><input id=${id} type="checkbox" checked=${value === 'true'}
      onChange=${(e) => onInput(e.currentTarget.checked ? 'true' : 'false')} />${label}${hint}</div>`
  }
  if (p.Type === 'choice') {
    return html`<div class="field">${label}<select id=${id} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      ${p.Choices.map((c) => html`<option value=${c}>${c}</option>`)}</select>${hint}</div>`
  }
  const type = p.Type === 'password' ? 'password' : 'text'
  // a password's default stays in Jenkins (the API never sends it): empty means "Jenkins' default"
  const placeholder = p.Type === 'password' ? t('start.passwordDefault') : undefined
  const input = p.Type === 'text'
    ? html`<textarea id=${id} rows="3" value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />`
    : html`<input id=${id} type=${type} placeholder=${placeholder} autocomplete="off" value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />`
  return html`<div class="field">${label}${input}${hint}</div>`
}

/** Free name/value rows, when the job's definitions cannot be read (Jenkins unreachable). */
function FreeRows ({ rows, setRows }) {
  const set = (i, k) => (e) => setRows(rows.map((r, j) => j === i ? { ...r, [k]: e.currentTarget.value } : r))
  return html`
    <p class="hint">${t('start.freeRows')}</p>
    ${rows.map((r, i) => html`<div class="field row">
      <input aria-label=${t('start.paramName')} placeholder=${t('start.name')} value=${r.name} onInput=${set(i, 'name')} />
      <input aria-label=${t('start.paramValue')} placeholder=${t('start.value')} value=${r.value} onInput=${set(i, 'value')} />
    </div>`)}
    <button type="button" onClick=${() => setRows([...rows, { name: '', value: '' }])}>+ ${t('start.addParam')}</button>`
}

/** The form's values as Build/add parameters: an empty password is left out, so Jenkins applies its own default. */
export function formParameters (defs, values) {
  return defs.filter((p) => !(p.Type === 'password' && (values[p.Name] ?? '') === ''))
    .map((p) => ({ name: p.Name, value: values[p.Name] ?? '' }))
}

/** "Start build": a form generated from Plan/parameters (choices as selects, booleans as checkboxes, defaults filled). */
export function StartBuild ({ productId, planId }) {
  const [defs, setDefs] = useState(null)
  const [values, setValues] = useState({})
  const [rows, setRows] = useState([])
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    get('/Plan/parameters', { DevOpsPlanID: planId }).then((r) => {
      const shown = r.ParameterList.filter((p) => !INJECTED.has(p.Name))
      setDefs(shown)
      setValues(Object.fromEntries(shown.map((p) => [p.Name, p.Type === 'choice' && p.Default === '' ? p.Choices[0] ?? '' : p.Default])))
      // Jenkins not there to ask (1007): free rows, and the reason shown
    }, (e) => { setDefs(false); setError(e) })
  }, [planId])
  const submit = async (e) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const parameter = defs
      ? formParameters(defs, values)
      : rows.filter((r) => r.name.trim() !== '')
    try { await startBuild(productId, planId, parameter) } catch (err) { setError(err) } finally { setBusy(false) }
  }
  return html`
    <form class="panel start-build" onSubmit=${submit} aria-label=${t('start.title')}>
      ${defs === null && error == null ? html`<p class="loading">${t('start.reading')}</p>` : null}
      ${(defs || []).map((p) => html`<${Field} key=${p.Name} p=${p} value=${values[p.Name] ?? ''}
        onInput=${(v) => setValues({ ...values, [p.Name]: v })} />`)}
      ${defs && defs.length === 0 ? html`<p class="hint">${t('start.noParams')}</p>` : null}
      ${defs === false ? html`<${FreeRows} rows=${rows} setRows=${setRows} />` : null}
      <${ErrorBox} error=${error} />
      <div class="actions"><button class="primary" type="submit" disabled=${busy}>${busy ? t('start.starting') : t('start.start')}</button></div>
    </form>`
}
