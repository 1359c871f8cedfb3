// The answers the CLI reads that src/schemas does not name as types (they are declared inside routes,
// which the CLI may not import). Only the fields the CLI uses; the service may send more.
import type { Budget } from '../schemas/budget.js'
import type { Format } from '../schemas/format.js'

export interface SourcePlan {
  source: string
  vendor: string
  userDays: number
  cached: number
  toFetch: number
  plannedCalls: number
  plannedCallsAreEstimate: boolean
  estimatedSeconds: number
  budget: Budget
}

/** POST /attendance/plan */
export interface PlanAnswer {
  from: string
  to: string
  sources: SourcePlan[]
}

export interface SourceInfo {
  id: string
  vendor: string
  timezone: string
  rateLimitPerSecond: number
  retentionDays: number
  maxUsersPerCall: number
  maxDaysPerCall: number
  load: { running: number; queued: number }
  usage: { month: string; dataCalls: number; tokenCalls: number }
  budget: Budget
}

/** GET /sources */
export interface SourcesAnswer {
  sources: SourceInfo[]
}

/** The fields of a query that export and plan share. */
export interface QueryFields {
  from: string
  to: string
  users: string[]
  overtime?: boolean
  maxAge?: number
}

/** POST /attendance/exports */
export interface ExportFields extends QueryFields {
  format: Format
  bom?: boolean
}
