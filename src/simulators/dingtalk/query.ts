// Answers a checked attendance/list request from the pure data function, so that the HTTP answer and
// dingTalkRowsFor agree exactly — apart from the days changed by hand (`setDay`), which are served as
// changed, and the days older than the retention rule allows, which are not served (retention.ts). A
// paging client asks for the same query again and again with a growing offset, so the full, ordered row
// list of the last few queries is kept; it is dropped whenever a day override changes. The list holds the
// whole days; the rows of the page served are cut to what stands at `dataClock` (checks-so-far.ts), so a
// day that is not over fills in as time passes whatever was cached.
import { formatWorkDate } from '../../platform/time/work-date.js'
import { DayOverrides } from '../shared/day-overrides.js'
import type { Seed } from '../shared/prng.js'
import type { VendorReply } from '../shared/vendor-reply.js'
import { dingTalkRowsSoFar } from './checks-so-far.js'
import { dingTalkRowsFor } from './data.js'
import type { DingTalkListRequest } from './rules.js'
import type { DingTalkListAnswer, DingTalkRow } from './types.js'

export interface DingTalkDirectory {
  seed: Seed
  timezone: string
  unknownUserPrefix: string
}

export interface DingTalkDays {
  /** The rows of the days changed by hand. */
  overrides: DayOverrides<DingTalkRow[]>
  /** The first epoch day served, read on every call; undefined serves every day. */
  oldestDay: () => number | undefined
  /** Epoch ms of now, read on every call. */
  now: () => number
}

const CACHED_QUERIES = 64

export type DingTalkLister = (request: DingTalkListRequest) => { reply: VendorReply; rows: number }

export function createDingTalkLister(
  directory: DingTalkDirectory,
  cachedQueries = CACHED_QUERIES,
  days: DingTalkDays = { overrides: new DayOverrides(), oldestDay: () => undefined, now: () => Date.now() },
): DingTalkLister {
  const cache = new Map<string, DingTalkRow[]>()
  let cachedVersion = days.overrides.version

  const allRows = (request: DingTalkListRequest): DingTalkRow[] => {
    if (days.overrides.version !== cachedVersion) {
      cache.clear()
      cachedVersion = days.overrides.version
    }
    // Days before the oldest served day give no rows: the range starts there (and may be empty).
    const fromDay = Math.max(request.fromDay, days.oldestDay() ?? request.fromDay)
    // Unknown users give no rows, not an error. Order: userId, then work day, then check time — stable
    // across pages whatever order the users were listed in.
    const users = request.userIds.filter((id) => !id.startsWith(directory.unknownUserPrefix)).sort()
    const key = `${fromDay}|${request.toDay}|${users.join('\u001f')}`
    const hit = cache.get(key)
    if (hit) {
      cache.delete(key)
      cache.set(key, hit)
      return hit
    }
    const rows: DingTalkRow[] = []
    const options = { seed: directory.seed, timezone: directory.timezone }
    for (const userId of users)
      for (let day = fromDay; day <= request.toDay; day++)
        rows.push(
          ...(days.overrides.get(userId, day) ?? dingTalkRowsFor(userId, formatWorkDate(day), options)),
        )
    if (cache.size >= cachedQueries) {
      const oldest = cache.keys().next().value
      if (oldest !== undefined) cache.delete(oldest)
    }
    cache.set(key, rows)
    return rows
  }

  return (request) => {
    const rows = allRows(request)
    const page = dingTalkRowsSoFar(rows.slice(request.offset, request.offset + request.limit), days.now())
    const body: DingTalkListAnswer = {
      errcode: 0,
      errmsg: 'ok',
      hasMore: request.offset + request.limit < rows.length,
      recordresult: page,
    }
    return { reply: { status: 200, body }, rows: page.length }
  }
}
