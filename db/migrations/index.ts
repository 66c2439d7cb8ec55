import type { Migration } from 'kysely/migration'
import * as createCoreTables from './202611271200_create_core_tables.js'
import * as addPollingAndInstances from './202611272140_add_polling_and_instances.js'
import * as createApiTokens from './202611272150_create_api_tokens.js'
import * as addBuildRevision from './202611272250_add_build_revision.js'
import * as createEvents from './202611281100_create_events.js'
import * as addRequestIdAndDiscovery from './202611281110_add_request_id_and_discovery.js'
import * as createAppState from './202611281130_create_app_state.js'
import * as addReadVersions from './202611281300_add_read_versions.js'
import * as createStageLogs from './202612060400_create_stage_logs.js'
import * as addBuildStartedBy from './202612060410_add_build_started_by.js'
import * as addPrunedBuilds from './202612060500_add_pruned_builds.js'
import * as addBuildTraceId from './202612060520_add_build_trace_id.js'
import * as addEventsProductIndex from './202612060530_add_events_product_index.js'
import * as addBuildsIndexIndex from './202612061000_add_builds_index_index.js'

// A static registry: the same from tsx, from dist/ and under tap, with no directory globbing.
export const migrations: Record<string, Migration> = {
  '202611271200_create_core_tables': createCoreTables,
  '202611272140_add_polling_and_instances': addPollingAndInstances,
  '202611272150_create_api_tokens': createApiTokens,
  '202611272250_add_build_revision': addBuildRevision,
  '202611281100_create_events': createEvents,
  '202611281110_add_request_id_and_discovery': addRequestIdAndDiscovery,
  '202611281130_create_app_state': createAppState,
  '202611281300_add_read_versions': addReadVersions,
  '202612060400_create_stage_logs': createStageLogs,
  '202612060410_add_build_started_by': addBuildStartedBy,
  '202612060500_add_pruned_builds': addPrunedBuilds,
  '202612060520_add_build_trace_id': addBuildTraceId,
  '202612060530_add_events_product_index': addEventsProductIndex,
  '202612061000_add_builds_index_index': addBuildsIndexIndex
}
