import { useCallback, useEffect, useState } from '/ui/vendor/hooks.mjs'

/** Runs an async loader when deps change; reload() runs it again keeping the old data on screen; `at` is the last success. */
export function useLoad (loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true, at: null })
  const run = useCallback(async () => {
    try {
      const data = await loader()
      setState({ data, error: null, loading: false, at: Date.now() })
    } catch (error) {
      setState((s) => ({ ...s, error, loading: false }))
    }
  }, deps)
  useEffect(() => { setState({ data: null, error: null, loading: true, at: null }); run() }, [run])
  return { ...state, reload: run }
}
