// Virtual time for the vendor path: one test clock that the store, the limiter and the retries read, and
// a sleep that moves it instead of waiting. Arithmetic on time is then checked exactly and instantly.

import { createTestClock } from '../../../src/platform/time/clock.js'
import type { Sleep } from '../../../src/vendors/common/abortable-sleep.js'

export function virtualTime(startEpochMs = 1_700_000_000_000) {
  const clock = createTestClock(startEpochMs)
  const sleeps: number[] = []
  const sleep: Sleep = async (ms, signal) => {
    if (signal?.aborted) throw signal.reason
    sleeps.push(ms)
    clock.advance(Math.max(0, ms))
  }
  return { clock, sleep, sleeps, now: () => clock.now() }
}
