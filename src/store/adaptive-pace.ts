// Adaptive pacing: the rate a source is paced at drops at once when its vendor refuses a call for rate, and
// climbs back slowly, linearly in time, to the configured rate (additive increase, multiplicative decrease,
// as TCP congestion control and the AWS SDKs' adaptive retry mode do). The state is one small record per
// source in the store, so a cut made by one replica paces every replica from its next call on.
//
// MemoryStore runs this arithmetic in process; the Redis scripts (redis-scripts.ts) do the same in Lua,
// from the same constants. test/store/shared-store.test.ts runs one contract against both.

/** A cut keeps this share of the rate in force (AWS's adaptive mode uses the same β of 0.7). */
export const CUT_FACTOR = 0.7
/**
 * After a cut the rate climbs this share of the configured rate a second: back from one cut in 15 s.
 * Slow on purpose: a vendor whose real limit is below the configured one refuses again only when the
 * climb reaches it, a few calls every 15 s or so instead of a burst every second.
 */
export const CLIMB_PER_SECOND = 0.02
/** The rate never drops below this share of the configured rate. */
export const MIN_FACTOR = 0.05
/**
 * A refusal of a call paced at a rate the source has since been cut from says nothing new: the calls in
 * flight when the first refusal came back were all sent at the old rate. Only a refusal at (nearly) the rate
 * in force cuts again, so a burst of refusals from one moment makes one cut, not one per call.
 */
export const STALE_REFUSAL_FACTOR = (1 + CUT_FACTOR) / 2

/** The pace record: the rate right after the last cut, and when (the store's clock, ms) it was made. */
export interface PaceState {
  base: number
  cutAt: number
}

/** The rate in force at `now`: the configured rate, or less while the source climbs back from a cut. */
export function rateInForce(state: PaceState | undefined, configured: number, now: number): number {
  if (!state) return configured
  const climbed = state.base + (configured * CLIMB_PER_SECOND * Math.max(0, now - state.cutAt)) / 1000
  return Math.min(configured, climbed)
}

/**
 * The record after a refusal of a call that was paced at `pacedAt` calls a second; undefined when the
 * refusal is stale (the rate was already cut below that) and nothing changes.
 */
export function afterRefusal(
  state: PaceState | undefined,
  configured: number,
  pacedAt: number,
  now: number,
): PaceState | undefined {
  const current = rateInForce(state, configured, now)
  if (current < pacedAt * STALE_REFUSAL_FACTOR) return undefined
  return { base: Math.max(configured * MIN_FACTOR, current * CUT_FACTOR), cutAt: now }
}

/** Calls the sliding-window guard admits in one window at `rate` calls a second. */
export function windowLimit(rate: number): number {
  return Math.max(1, Math.floor(rate))
}
