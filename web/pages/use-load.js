import { useCallback, useEffect, useState } from 'preact/hooks'

/** Runs an async loader when deps change; reload() runs it again keeping the old data on screen. */
export function useLoad (loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true })
  const run = useCallback(async () => {
    try {
      const data = await loader()
      setState({ data, error: null, loading: false })
    } catch (error) {
      setState((s) => ({ data: s.data, error, loading: false }))
    }
  }, deps)
  useEffect(() => { setState({ data: null, error: null, loading: true }); run() }, [run])
  return { ...state, reload: run }
}
