import { useEffect, useState } from '/ui/vendor/hooks.mjs'
import { getToken, onAuth, authState, setToken, whoami } from './api.js'
import { t } from './i18n.js'
import { html } from './html.js'

/** The current access state and the caller's identity ({Name, Role} or null), kept current. */
export function useAuth () {
  const [state, setState] = useState(authState())
  const [me, setMe] = useState(null)
  useEffect(() => onAuth(setState), [])
  useEffect(() => {
    let stop = false
    setMe(null)
    if (!state.needed) whoami().then((w) => { if (!stop) setMe(w) }, () => {})
    return () => { stop = true }
  }, [state.version, state.needed])
  return { ...state, me }
}

/** The one token prompt of the page (and of the browser: the token is shared by its tabs). */
export function TokenPrompt ({ wrong }) {
  const [value, setValue] = useState('')
  const save = (e) => {
    e.preventDefault()
    setToken(value.trim())
  }
  return html`
    <form class="panel token" onSubmit=${save} aria-labelledby="token-title">
      <h2 id="token-title">${t('token.title')}</h2>
      <p>${wrong ? t('token.wrong') : t('token.needed')}</p>
      <p class="hint">${t('token.howto')} <code>npm run token -- create --name NAME --role read</code></p>
      <label for="token-input">${t('token.label')}</label>
      <input id="token-input" type="password" autocomplete="off" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      <button class="primary" type="submit" disabled=${value.trim() === ''}>${t('token.use')}</button>
      <p class="hint">${t('token.shared')}</p>
    </form>`
}

/** In the top bar: who the token is, and a way to forget it. */
export function TokenState ({ me }) {
  if (!getToken()) return null
  const forget = () => setToken('')
  return html`<span class="token-state">${me?.Name != null ? t('token.as', { name: me.Name, role: t(`role.${me.Role}`) }) : t('token.set')}
    · <button type="button" class="link" onClick=${forget}>${t('token.forget')}</button></span>`
}
