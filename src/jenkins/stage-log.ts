import type { JenkinsClient } from './client.js'
import { blueRunPath, jobPath, orNull404 } from './urls.js'
import { errorText, htmlToText, logExcerpt } from '../lib/log-excerpt.js'

// A failed stage's error message and the end of its log, from whichever API the instance offers
// (docs/jenkins-contract.md "Stage logs"). Each answers for one node; a missing endpoint (an older
// plugin) gives an empty part rather than an error.

/** Where to ask: Pipeline Graph View under the URL prefix its tree answered at, stage view's wfapi, or Blue Ocean. */
export type StageLogSource = { kind: 'graph-view', prefix: string } | { kind: 'wfapi' } | { kind: 'blue-ocean' }

export interface StageLog { error: string, log: string, truncated: boolean }

/** raw bytes read from the end of a log: colour codes and notes take room that the excerpt does not keep */
const RAW_TAIL_BYTES = 256 * 1024
const ERROR_TAIL_BYTES = 64 * 1024
const FAILED = new Set(['failure', 'unstable', 'FAILED', 'UNSTABLE'])

interface GraphSteps { data?: { steps?: Array<{ id: string, state?: string }> } }
interface WfapiNode {
  error?: { message?: string } | null
  stageFlowNodes?: Array<{ id: string, status?: string, error?: { message?: string } | null }>
}
interface WfapiLog { text?: string, hasMore?: boolean }

/**
 * What Jenkins recorded for stage node `nodeId` of run `number`: `knownError` is the message the
 * stage API already gave (wfapi's `error.message`), used where the log API has none.
 */
export async function fetchStageLog (client: JenkinsClient, job: string, number: number, nodeId: string,
  source: StageLogSource, knownError?: string): Promise<StageLog> {
  const run = `${jobPath(job)}/${number}`
  const node = encodeURIComponent(nodeId)
  if (source.kind === 'graph-view') {
    // the plugin's console view: before the tree moved to stages/ it lived beside pipeline-graph/
    const base = `${run}/${source.prefix === 'pipeline-graph' ? 'pipeline-console' : source.prefix}`
    const steps = await orNull404(client.getJsonAt(`${base}/steps?nodeId=${node}`, `steps of ${job} #${number}`)) as GraphSteps | null
    const failed = (steps?.data?.steps ?? []).filter((s) => s.state != null && FAILED.has(s.state)).at(-1)
    const error = failed == null
      ? null
      : await orNull404(client.getTextTail(`${base}/exceptionText?nodeId=${encodeURIComponent(failed.id)}`, 'a step\'s error', ERROR_TAIL_BYTES))
    const log = await orNull404(client.getTextTail(`${base}/log?nodeId=${node}`, `the log of ${job} #${number}`, RAW_TAIL_BYTES))
    // PipelineConsoleViewAction.getConsoleText answers this line when no step logged anything
    const text = log == null || log.text === 'No logs found\n' ? '' : log.text
    return { error: errorText(error?.text ?? knownError), ...excerpt(text, log?.cut ?? false) }
  }
  if (source.kind === 'wfapi') {
    const described = await orNull404(client.getJsonAt(`${run}/execution/node/${node}/wfapi/describe`, `stage ${nodeId} of ${job} #${number}`)) as WfapiNode | null
    const steps = described?.stageFlowNodes ?? []
    const step = steps.filter((s) => s.status != null && FAILED.has(s.status)).at(-1) ?? steps.at(-1)
    const error = described?.error?.message ?? step?.error?.message ?? knownError
    if (step == null) return { error: errorText(error), log: '', truncated: false }
    // FlowNodeLogExt: the step's last 10 KiB as HTML (writeHtmlTo), hasMore when it was longer
    const log = await orNull404(client.getJsonAt(`${run}/execution/node/${encodeURIComponent(step.id)}/wfapi/log`,
      `the log of ${job} #${number}`)) as WfapiLog | null
    return { error: errorText(error), ...excerpt(htmlToText(log?.text ?? ''), log?.hasMore === true) }
  }
  // NodeLogResource: every step's log of the node, each failed step's error after its log
  const log = await orNull404(client.getTextTail(`${blueRunPath(job, number)}/nodes/${node}/log/`, `the log of ${job} #${number}`, RAW_TAIL_BYTES))
  return { error: errorText(knownError), ...excerpt(log?.text ?? '', log?.cut ?? false) }
}

function excerpt (text: string, cut: boolean): { log: string, truncated: boolean } {
  const e = logExcerpt(text, cut)
  return { log: e.text, truncated: e.truncated }
}
