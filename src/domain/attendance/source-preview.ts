// What one source's part of a query would cost, without any vendor call: the user-days the cache holds,
// those to fetch, and the data calls that takes. Feishu's count is exact (one call a block); DingTalk's
// pages are known only as they come, so they are estimated from the rows per user-day the source has
// returned so far. Planned exactly as the query plans (the same units, the same cache lookups).

import { formatWorkDate } from '../../platform/time/work-date.js'
import type { CacheLookup, SourceDayCache } from './day-cache.js'
import { dayKey } from './day-cache.js'
import type { Block, VendorLimits } from './source.js'
import { planUsers } from './source-plan.js'

export interface SourcePreview {
  userDays: number
  cached: number
  toFetch: number
  blocks: number
  plannedCalls: number
  plannedCallsAreEstimate: boolean
}

export interface PreviewInput {
  userIds: readonly string[]
  from: number
  to: number
  limits: VendorLimits
  unitSize: number
  cache: SourceDayCache | undefined
  lookup: CacheLookup
  oldestDay: number | undefined
  rowsPerUserDay: number
}

export async function previewSource(input: PreviewInput): Promise<SourcePreview> {
  const userIds = [...input.userIds].sort()
  let cached = 0
  let toFetch = 0
  let blocks = 0
  let plannedCalls = 0
  for (let start = 0; start < userIds.length; start += input.unitSize) {
    const users = userIds.slice(start, start + input.unitSize)
    const found = input.cache
      ? await input.cache.lookup(users, input.from, input.to, input.lookup)
      : new Map()
    const plan = planUsers(
      users,
      input.from,
      input.to,
      input.limits,
      (userId, day) => found.has(dayKey(userId, formatWorkDate(day))),
      input.oldestDay,
    )
    cached += plan.cached
    toFetch += plan.toFetch
    blocks += plan.blocks.length
    for (const block of plan.blocks) plannedCalls += callsFor(block, input.limits, input.rowsPerUserDay)
  }
  return {
    userDays: userIds.length * (input.to - input.from + 1),
    cached,
    toFetch,
    blocks,
    plannedCalls,
    plannedCallsAreEstimate: input.limits.rowsPerPage !== undefined,
  }
}

/** One call a block, or the pages its rows are expected to fill (at least one). */
export function callsFor(block: Block, limits: VendorLimits, rowsPerUserDay: number): number {
  if (limits.rowsPerPage === undefined) return 1
  const rows = block.userIds.length * (block.to - block.from + 1) * rowsPerUserDay
  return Math.max(1, Math.ceil(rows / limits.rowsPerPage))
}
