import { splitIntoWindows } from '../../platform/time/work-date.js'
import type { Block, VendorLimits } from './source.js'

/**
 * The fewest blocks a vendor's limits allow: users in chunks of at most maxUsersPerCall, dates in
 * consecutive, non-overlapping windows of at most maxDaysPerCall. Blocks are chunk-major so that each
 * user's days complete together (what a streamed answer wants).
 */
export function planBlocks(
  userIds: readonly string[],
  from: number,
  to: number,
  limits: VendorLimits,
): Block[] {
  return planChunks(userIds, from, to, limits).flat()
}

/** The same blocks grouped by chunk of users: one list of date windows per chunk, chunks in user order. */
export function planChunks(
  userIds: readonly string[],
  from: number,
  to: number,
  limits: VendorLimits,
): Block[][] {
  const windows = splitIntoWindows({ from, to }, limits.maxDaysPerCall)
  const chunks: Block[][] = []
  for (let start = 0; start < userIds.length; start += limits.maxUsersPerCall) {
    const chunk = userIds.slice(start, start + limits.maxUsersPerCall)
    chunks.push(windows.map((window) => ({ userIds: chunk, from: window.from, to: window.to })))
  }
  return chunks
}
