// Token lifetimes are hours long; a test that wants to see the Feishu 30-minute re-fetch threshold or an
// expiry at the default 7200 s passes this clock as `tokenClock` and moves time itself.
export interface ManualClock {
  /** The current time in ms; pass this function as `tokenClock`. */
  now: () => number
  advance(ms: number): void
  set(ms: number): void
}

export function createManualClock(startMs = 0): ManualClock {
  let current = startMs
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
    set: (ms) => {
      current = ms
    },
  }
}
