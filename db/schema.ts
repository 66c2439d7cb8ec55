import type { Generated } from 'kysely'

// Tables are snake_case; the repositories map rows to the contract's PascalCase.
// Times are Unix epoch seconds; JSON columns are text holding a JSON document.

export interface ProductTable {
  id: Generated<number>
  name: string
  created_at: number
}

export interface PlanTable {
  id: Generated<number>
  product_id: number
  name: string
  job_name: string | null
  /** Highest BuildIndex handed out so far: the per-plan counter row that makes allocation safe. */
  last_build_index: Generated<number>
  /** configured Jenkins instance; null = the default one (JENKINS_URL) */
  jenkins_name: string | null
  created_at: number
  /** moves with every change the plan's Build/list shows: validates its read cache */
  list_version: Generated<number>
  /** builds retention deleted: the plan holds last_build_index − pruned_builds builds */
  pruned_builds: Generated<number>
}

export interface BuildTable {
  id: Generated<number>
  plan_id: number
  build_index: number
  status: string
  job_name: string
  /** {"parameter":[{name,value}]} exactly as sent to Jenkins */
  parameter: string
  detail: string
  queue_id: number | null
  jenkins_build_number: number | null
  jenkins_url: string | null
  create_time: number
  start_time: number | null
  end_time: number | null
  /** the Jenkins instance it was triggered on; null = the default one */
  jenkins_name: string | null
  /** epoch ms before which no poller takes the build (lease, then backoff) */
  poll_after: Generated<number>
  poll_token: string | null
  poll_errors: Generated<number>
  /** 1 when Build/cancel could not stop it yet (it was leaving the queue) */
  cancel_requested: Generated<number>
  /** bumped by every progress write (applyProgress): the key of the Stage/info cache */
  revision: Generated<number>
  /** Build/add's RequestID: unique per plan, so a retried call answers the same build */
  request_id: string | null
  /** 'api' or 'jenkins' (a run Jenkins started itself, found by discovery) */
  source: Generated<string>
  /** Jenkins' CauseAction text for discovered builds; null for API builds */
  cause: string | null
  /** discovered builds only: the instance ('' = default), part of the key that imports a run once */
  jenkins_key: string | null
  /** the W3C trace id sent as `traceparent` with the trigger (32 hex digits); null for builds Jenkins started */
  trace_id: string | null
  /** the name of the token that called Build/add; null in open mode and for discovered builds */
  started_by: string | null
  /** the BuildIndex (same plan) this build repeats, from Build/add's RebuildOf */
  rebuild_of: number | null
}

export interface StageTable {
  id: Generated<number>
  build_id: number
  stage_id: number
  name: string
  /** JSON array of StageIDs of this build */
  pre_stage_ids: string
  status: string
  detail: string
  start_time: number | null
  end_time: number | null
}

export interface ApiTokenTable {
  id: Generated<number>
  name: string
  /** read, trigger, callback or admin */
  role: string
  /** hex SHA-256 of the token */
  token_hash: string
  created_at: number
  last_used_at: number | null
}

/** Discovery's watermark per (instance, job): runs up to last_number were already considered. */
export interface DiscoveryMarkTable {
  jenkins_key: string
  job_name: string
  last_number: number
}

/** Installation facts by name; `open_mode_ended` (written with the first token, never removed) */
export interface AppStateTable {
  name: string
  value: string
  updated_at: number
}

/** Counters that validate read caches; `catalog` moves with every product or plan change. */
export interface ReadVersionTable {
  name: string
  version: number
}

/** One accepted change of a build or stage, appended in the write's own transaction; never updated. */
export interface EventTable {
  id: Generated<number>
  build_id: number
  plan_id: number
  product_id: number
  build_index: number
  /** '' for the build itself */
  stage_name: string
  status: string
  /** api, callback, poller, webhook or cancel */
  source: string
  /** JSON object: the Detail keys this change set */
  detail: string
  time: number
}

/** A failed stage's error message and log excerpt, captured once from Jenkins (empty strings: it had none). */
export interface StageLogTable {
  build_id: number
  stage_id: number
  error: string
  log: string
  /** 1 when the log was longer than the excerpt */
  truncated: number
  /** graph-view, wfapi or blue-ocean */
  source: string
  captured_at: number
}

export interface Database {
  discovery_marks: DiscoveryMarkTable
  app_state: AppStateTable
  read_versions: ReadVersionTable
  api_tokens: ApiTokenTable
  products: ProductTable
  plans: PlanTable
  builds: BuildTable
  stages: StageTable
  events: EventTable
  stage_logs: StageLogTable
}
