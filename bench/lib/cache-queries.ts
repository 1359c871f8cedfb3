// What the result-cache scenarios share: the large query through a service with the cache on, with the
// vendor calls it cost counted at the simulators (data and token calls apart), and the cache's own counts
// from the answer's reports.

import type { Redis } from 'ioredis'
import type { ServiceProcess, SimulatorsProcess } from './processes.js'
import { postQuery } from './query.js'
import { eventLoopLagMaxMs, storeOutages } from './service-health.js'
import { counters } from './simulator-admin.js'
import { asRefs, DINGTALK_USERS, FEISHU_USERS, FROM, TO } from './workload.js'

export const LARGE_QUERY = {
  from: FROM,
  to: TO,
  users: [...asRefs('feishu', FEISHU_USERS), ...asRefs('dingtalk', DINGTALK_USERS)],
}

export interface CallCounts {
  feishu: number
  dingtalk: number
  tokens: number
  /** Calls refused by the simulators' rate limits (data and token), each retried: within the counts. */
  refused: number
}

export const totalCalls = (calls: CallCounts) => calls.feishu + calls.dingtalk

/** The simulators' data and token call counters, read together. */
export async function callCounts(simulators: SimulatorsProcess): Promise<CallCounts> {
  const [feishu, dingtalk] = await Promise.all([
    counters(simulators.feishuUrl),
    counters(simulators.dingtalkUrl),
  ])
  return {
    feishu: feishu.dataCalls,
    dingtalk: dingtalk.dataCalls,
    tokens: feishu.tokenCalls + dingtalk.tokenCalls,
    refused: feishu.refusedRateLimit + dingtalk.refusedRateLimit,
  }
}

export function callsBetween(before: CallCounts, after: CallCounts): CallCounts {
  return {
    feishu: after.feishu - before.feishu,
    dingtalk: after.dingtalk - before.dingtalk,
    tokens: after.tokens - before.tokens,
    refused: after.refused - before.refused,
  }
}

export interface CachedRun {
  wallS: number
  firstByteMs: number
  firstDayMs: number
  days: number
  complete: boolean
  calls: CallCounts
  /** Sum of the answer's `vendorCalls`. */
  reportedCalls: number
  hits: number
  misses: number
  /** Per source: "feishu 31000/0 hits/misses, 0 calls", for the progress lines. */
  bySource: string
  /** Per source: status, and the error code and missing parts when there are any. */
  outcome: string
  /** The service's longest event-loop stall during the query, ms. */
  lagMaxMs: number
  /** Times the service's circuit breaker took Redis for away during the query, and for how long. */
  storeOutages: { count: number; totalMs: number }
}

/** One query, timed to its last byte, with what it cost at the vendors. */
export async function cachedRun(
  service: ServiceProcess,
  simulators: SimulatorsProcess,
  body = LARGE_QUERY,
): Promise<CachedRun> {
  await eventLoopLagMaxMs(service.url) // resets the lag figures
  const since = Date.now()
  const before = await callCounts(simulators)
  const answer = await postQuery(service.url, body, { parse: false })
  const calls = callsBetween(before, await callCounts(simulators))
  const lagMaxMs = await eventLoopLagMaxMs(service.url)
  return {
    wallS: answer.totalMs / 1000,
    firstByteMs: answer.firstByteMs,
    firstDayMs: answer.firstDayMs,
    days: answer.days,
    complete: answer.status === 200 && answer.complete,
    calls,
    reportedCalls: answer.sources.reduce((sum, report) => sum + report.vendorCalls, 0),
    hits: answer.sources.reduce((sum, report) => sum + (report.cache?.hits ?? 0), 0),
    misses: answer.sources.reduce((sum, report) => sum + (report.cache?.misses ?? 0), 0),
    bySource: answer.sources
      .map(
        (report) =>
          `${report.source} ${report.cache?.hits}/${report.cache?.misses} hits/misses, ${report.vendorCalls} calls`,
      )
      .join('; '),
    outcome: answer.sources
      .map(
        (report) =>
          `${report.source} ${report.status}${report.error ? ` (${report.error.code}, ${report.missing.length} missing parts)` : ''}`,
      )
      .join(', '),
    lagMaxMs,
    storeOutages: storeOutages(service.logPath, since),
  }
}

/** Deletes the keys matching `pattern` (SCAN, not KEYS: the Redis is shared); returns how many. */
export async function deleteMatching(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000)
    cursor = next
    if (keys.length > 0) deleted += await redis.del(...keys)
  } while (cursor !== '0')
  return deleted
}
