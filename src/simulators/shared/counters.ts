import { SlidingWindow } from './sliding-window.js'

/** What a simulator observed since it started or since the last reset. Same shape for both vendors. */
export interface Counters {
  /** Calls to the token endpoint, whatever their answer. */
  tokenCalls: number
  /** Calls to the data endpoint, whatever their answer. */
  dataCalls: number
  /** Calls refused by the rate limit (token and data endpoints). */
  refusedRateLimit: number
  /** Data calls refused for their parameters (including Feishu 1220004 for invalid users). */
  refusedBadParams: number
  /** Data calls refused for a missing, malformed, unknown, revoked or expired token. */
  refusedBadToken: number
  /** Token calls refused for wrong or missing app credentials. */
  refusedBadCredentials: number
  /** Calls answered with an injected internal error (`errorRate`). */
  injectedErrors: number
  /** Calls that hung on purpose (`hangRate`). */
  injectedHangs: number
  /** Calls answered with a cut-off JSON body on purpose (`malformedRate`). */
  injectedMalformed: number
  /** Calls answered with an HTML error page on purpose (`htmlErrorRate`). */
  injectedHtmlErrors: number
  /** The most calls that arrived in any sliding 1000 ms, counting every call to a vendor endpoint. */
  peakPerSecond: number
  /** The most vendor-endpoint calls in flight at once. */
  peakConcurrency: number
  /** Feishu `user_task_results` entries, or DingTalk `recordresult` rows, answered. */
  rowsServed: number
  /**
   * Data calls counted against the monthly quota in the current quota month (see monthly-quota.ts),
   * counted also without a quota; a new month or a reset starts again at 0.
   */
  quotaUsed: number
  /** Data calls refused because the month's quota was spent (DingTalk 90020, Feishu 99991403). */
  quotaRefusals: number
}

export type CounterName = Exclude<keyof Counters, 'peakPerSecond' | 'peakConcurrency' | 'quotaUsed'>

const zero = (): Counters => ({
  tokenCalls: 0,
  dataCalls: 0,
  refusedRateLimit: 0,
  refusedBadParams: 0,
  refusedBadToken: 0,
  refusedBadCredentials: 0,
  injectedErrors: 0,
  injectedHangs: 0,
  injectedMalformed: 0,
  injectedHtmlErrors: 0,
  peakPerSecond: 0,
  peakConcurrency: 0,
  rowsServed: 0,
  quotaUsed: 0,
  quotaRefusals: 0,
})

export class CallStats {
  #counters = zero()
  readonly #arrivals = new SlidingWindow(1000)
  #inFlight = 0

  /** A call arrived at `now` (monotonic ms) and is now in flight until `finished` is called. */
  arrive(now: number): void {
    this.#counters.peakPerSecond = Math.max(this.#counters.peakPerSecond, this.#arrivals.add(now))
    this.#inFlight++
    this.#counters.peakConcurrency = Math.max(this.#counters.peakConcurrency, this.#inFlight)
  }

  finished(): void {
    this.#inFlight--
  }

  add(name: CounterName, amount = 1): void {
    this.#counters[name] += amount
  }

  snapshot(): Counters {
    return { ...this.#counters }
  }

  /** Starts counting afresh; calls still in flight remain the floor of the concurrency peak. */
  reset(): void {
    this.#counters = zero()
    this.#counters.peakConcurrency = this.#inFlight
    this.#arrivals.clear()
  }
}
