// Two answers to the same query agree on everything but what is about the query itself: when each day
// was fetched, and how many vendor calls and cache hits it took (the second is often served from the
// result cache).
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'

export function comparableAnswer(answer: AttendanceResponse) {
  return {
    ...answer,
    results: answer.results.map(({ fetchedAt: _fetchedAt, ...day }) => day),
    sources: answer.sources.map(({ vendorCalls: _calls, cache: _cache, ...report }) => report),
  }
}
