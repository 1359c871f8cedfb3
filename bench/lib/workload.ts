// The query most scenarios share: 1,000 users × 31 days, half on each vendor, against simulators at the
// vendors' documented limits with 50 ms of latency.
import { userIds } from './plan-minimum.js'
import type { SimulatorSettings } from './simulator-admin.js'

export const FROM = '2024-05-01'
export const TO = '2024-05-31'
export const FEISHU_USERS = userIds('f', 500)
export const DINGTALK_USERS = userIds('d', 500)

/** The vendors' documented limits, which the simulators enforce over any sliding second. */
export const VENDOR_LIMIT = { feishu: 50, dingtalk: 20 } as const

export const AT_THE_LIMITS: { feishu: SimulatorSettings; dingtalk: SimulatorSettings } = {
  feishu: { rateLimitPerSecond: VENDOR_LIMIT.feishu, latencyMs: 50 },
  dingtalk: { rateLimitPerSecond: VENDOR_LIMIT.dingtalk, latencyMs: 50 },
}

export const RUNS = 3

export function asRefs(source: string, ids: readonly string[]): string[] {
  return ids.map((id) => `${source}:${id}`)
}

/** `ids` in `parts` consecutive pieces of one size (the last one shorter): a piece for each replica. */
export function splitAmong(ids: readonly string[], parts: number): string[][] {
  const size = Math.ceil(ids.length / parts)
  return Array.from({ length: parts }, (_, index) => ids.slice(index * size, (index + 1) * size))
}

/** Replica `index`'s share of the large query: its piece of each vendor's users, FROM..TO. */
export function replicaQuery(
  feishuParts: readonly string[][],
  dingTalkParts: readonly string[][],
  index: number,
): { from: string; to: string; users: string[] } {
  return {
    from: FROM,
    to: TO,
    users: [...asRefs('feishu', feishuParts[index] ?? []), ...asRefs('dingtalk', dingTalkParts[index] ?? [])],
  }
}
