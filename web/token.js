/* global location */
import { h } from 'preact'
import { useState } from 'preact/hooks'
import htm from 'htm'
import { getToken, setToken } from './api.js'

const html = htm.bind(h)

/** Shown when the API answers 1004/1005: the token is kept in sessionStorage (this tab only). */
export function TokenForm ({ code }) {
  const [value, setValue] = useState('')
  const save = (e) => {
    e.preventDefault()
    setToken(value.trim())
    location.reload()
  }
  return html`
    <form class="panel token" onSubmit=${save} aria-label="access token">
      <p>${code === 1005 ? 'This token may not do that: use one with a larger role.' : 'This server needs an access token (role read; trigger to start and cancel builds).'}</p>
      <label for="token">Token</label>
      <input id="token" type="password" autocomplete="off" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      <button class="primary" type="submit" disabled=${value.trim() === ''}>Use token</button>
    </form>`
}

/** In the top bar: whether a token is in use, and a way to forget it. */
export function TokenState () {
  if (!getToken()) return null
  const forget = () => { setToken(''); location.reload() }
  return html`<span class="token-state">token set · <button type="button" class="link" onClick=${forget}>forget</button></span>`
}
