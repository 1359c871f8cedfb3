// The time that service code reads, injected so that arithmetic on time (TTLs, rate schedules, open
// periods) is tested by moving a test clock rather than by sleeping and measuring.

export interface Clock {
  /** Wall time, epoch ms: for what is stored or shown (expiry dates, `since`). It can jump. */
  now(): number
  /** Monotonic ms, like performance.now(): for intervals and schedules, which a wall-clock jump must not move. */
  monotonic(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
}

export interface TestClock extends Clock {
  /** Moves wall and monotonic time forward together. */
  advance(ms: number): void
}

/** A clock that stands still until told to move; monotonic time starts at 0. */
export function createTestClock(startEpochMs = 0): TestClock {
  let elapsed = 0
  return {
    now: () => startEpochMs + elapsed,
    monotonic: () => elapsed,
    advance: (ms) => {
      elapsed += ms
    },
  }
}
