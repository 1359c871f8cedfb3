// The seam between the domain and the vendor adapters. The domain plans blocks of users × dates within a
// vendor's limits and runs them; an adapter knows how to fetch one block from its vendor.
import type { FastifyBaseLogger } from 'fastify'
import type { SourceConfig } from '../../config/source-config.js'
import type { DayResult } from '../../schemas/day-result.js'
import type { WarningCode } from '../../schemas/source-report.js'

export interface Block {
  userIds: string[]
  /** First epoch day, inclusive. */
  from: number
  /** Last epoch day, inclusive. */
  to: number
}

export interface VendorLimits {
  /** Users one data call may name (50 for both vendors). */
  maxUsersPerCall: number
  /** Inclusive days one data call may span (Feishu 30, DingTalk 7). */
  maxDaysPerCall: number
  /** Rows a page holds when the vendor pages a block (DingTalk 50); absent: one call a block. */
  rowsPerPage?: number
}

export interface FetchOptions {
  overtime: boolean
  includeRaw: boolean
  signal: AbortSignal
  /** Epoch ms after which no further vendor call may start. */
  deadline: number
  /** Called once per data call sent to the vendor, retries included. */
  countCall: () => void
  /** The request's logger, so vendor-call lines carry the request id. */
  log: FastifyBaseLogger
}

/** Something the adapter noticed and corrected or left out, counted; it does not make the answer incomplete. */
export interface BlockWarning {
  code: WarningCode
  count: number
}

export interface BlockResult {
  days: DayResult[]
  invalidUserIds: string[]
  unauthorizedUserIds: string[]
  warnings?: BlockWarning[]
  /** Vendor rows the block took (paged vendors), for page estimates. */
  rows?: number
}

export interface SourceAdapter {
  readonly config: SourceConfig
  readonly limits: VendorLimits
  /** Fetches every day of one block, following pagination; throws a SourceFailure when it cannot. */
  fetchBlock(block: Block, options: FetchOptions): Promise<BlockResult>
  /**
   * Calls a second the replicas pace the source at now: its configured rate, or less after the vendor
   * refused calls for rate. Absent for adapters that are not paced (test doubles).
   */
  rateInForce?(): Promise<number>
  close(): Promise<void>
}
