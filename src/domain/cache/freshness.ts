// How long a cached day is kept. A settled work day (more than `settleDays` before today in the source's
// zone) rarely changes: it is kept `ttlSeconds`. Recent days and today still change (late checks,
// corrections, approvals): `recentTtlSeconds`. A date after today is never kept.
export interface FreshnessPolicy {
  /** Settled days; 0 turns the cache off for the source. */
  ttlSeconds: number
  recentTtlSeconds: number
  settleDays: number
}

/** The TTL in ms of an entry for `workDay` (epoch day) when today is `today` (epoch day); 0: do not keep. */
export function entryTtlMs(workDay: number, today: number, policy: FreshnessPolicy): number {
  if (policy.ttlSeconds === 0 || workDay > today) return 0
  const settled = workDay < today - policy.settleDays
  return (settled ? policy.ttlSeconds : policy.recentTtlSeconds) * 1000
}
