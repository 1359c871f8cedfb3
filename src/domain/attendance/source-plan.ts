// Which vendor calls a group of users needs, given what the cache already holds: only the user-days that
// are missing are fetched, in the fewest blocks the vendor's limits allow for them.
//
// Grouping is greedy: each user's missing days span from the first to the last of them; users with the same
// span are chunked together (at most maxUsersPerCall a call) and the span is cut into date windows. So the
// common cases are minimal: nothing cached gives today's plan, everything cached gives no call, and a month
// asked again after one new day gives one call per 50 users (Feishu) or one window of pages (DingTalk).
// Users whose spans differ are planned apart, even where one wider call could have served both.
import { planChunks } from './plan.js'
import type { Block, VendorLimits } from './source.js'

export interface PlannedUsers {
  /** The vendor calls to make (each one block; DingTalk pages within it). */
  blocks: Block[]
  /** User-days the cache answers. */
  cached: number
  /** User-days to fetch (within the vendor's retention). */
  toFetch: number
  /** User-days before the retention limit that the cache does not hold, per user: they cannot be had. */
  tooOld: Map<string, { from: number; to: number }>
}

export function planUsers(
  userIds: readonly string[],
  from: number,
  to: number,
  limits: VendorLimits,
  isCached: (userId: string, epochDay: number) => boolean,
  /** The first day the vendor still serves; days before it are not asked for. */
  oldestDay = Number.NEGATIVE_INFINITY,
): PlannedUsers {
  const spans = new Map<string, { from: number; to: number; userIds: string[] }>()
  const tooOld = new Map<string, { from: number; to: number }>()
  let cached = 0
  let toFetch = 0
  for (const userId of userIds) {
    let first = Number.POSITIVE_INFINITY
    let last = Number.NEGATIVE_INFINITY
    let oldFirst = Number.POSITIVE_INFINITY
    let oldLast = Number.NEGATIVE_INFINITY
    for (let day = from; day <= to; day++) {
      if (isCached(userId, day)) {
        cached++
      } else if (day < oldestDay) {
        oldFirst = Math.min(oldFirst, day)
        oldLast = day
      } else {
        toFetch++
        first = Math.min(first, day)
        last = day
      }
    }
    if (oldLast >= oldFirst) tooOld.set(userId, { from: oldFirst, to: oldLast })
    if (last < first) continue
    const key = `${first}:${last}`
    const span = spans.get(key) ?? { from: first, to: last, userIds: [] }
    span.userIds.push(userId)
    spans.set(key, span)
  }
  const blocks = [...spans.values()].flatMap((span) =>
    planChunks(span.userIds, span.from, span.to, limits).flat(),
  )
  return { blocks, cached, toFetch, tooOld }
}
