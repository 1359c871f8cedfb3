import type { SourceMetrics } from '../../metrics/service-metrics.js'
import type { SharedStore } from '../../store/shared-store.js'
import { type Sleep, sleep } from './abortable-sleep.js'
import { VendorError } from './vendor-error.js'

export interface RateLimiterOptions {
  store: SharedStore
  /** One key per app: every replica that calls this app as this app shares the schedule. */
  key: string
  ratePerSecond: number
  /**
   * Calls are paced and guarded over a window of 1000 + safetyMs instead of 1000 ms, so that a call whose
   * way from the decision to the vendor takes a few ms longer than its neighbours' (a busy event loop,
   * network jitter) still lands in a second that holds no more than the limit. 30 ms costs 3% of the
   * throughput; the default vendor rates (90% of the documented limits) leave the rest of the margin.
   */
  safetyMs?: number
  /** Observes how long each granted call waited. */
  metrics?: SourceMetrics
  /** The clock deadlines are read on, and how to wait: tests pass a virtual pair. */
  now?: () => number
  sleep?: Sleep
}

/**
 * Outbound limit of one source, shared by every replica through the store: at most `ratePerSecond` calls
 * in any sliding second, token calls and retries included.
 *
 * Two steps, both atomic in the store:
 * 1. Pacing: a GCRA reservation gives each caller the next free slot of an evenly spaced schedule, first
 *    come first served, so waiting callers go out in order and a burst is spread over the second. A caller
 *    whose slot would come after its deadline gets a TIMEOUT at once and reserves nothing.
 * 2. Guard: at the moment of sending, a sliding-window log admits the call only if fewer than the limit were
 *    sent in the last second. A timer that fires late (a busy event loop) would otherwise let a late call
 *    and the on-time calls after it crowd one second at the vendor; the guard makes the next one wait.
 */
export class RateLimiter {
  private readonly windowMs: number
  private readonly intervalMs: number
  private readonly windowLimit: number
  private readonly now: () => number
  private readonly sleep: Sleep

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? sleep
    this.windowMs = 1000 + (options.safetyMs ?? 30)
    this.intervalMs = this.windowMs / options.ratePerSecond
    this.windowLimit = Math.max(1, Math.floor(options.ratePerSecond))
  }

  /**
   * Resolves when the caller may send. Call `markSent()` on the permit right before the request leaves,
   * so the window counts the call from then rather than from its admission.
   */
  async acquire(signal: AbortSignal, deadline: number): Promise<SendPermit> {
    const started = this.now()
    const maxWaitMs = deadline - started
    if (maxWaitMs <= 0) throw deadlinePassed()
    const reservation = await this.options.store.reserveSlot(this.options.key, this.intervalMs, maxWaitMs)
    if (!reservation.granted) throw deadlinePassed()
    await this.sleep(reservation.waitMs, signal)
    for (;;) {
      const logKey = `${this.options.key}:log`
      const admission = await this.options.store.admitToWindow(logKey, this.windowLimit, this.windowMs)
      if (admission.granted) {
        const waitedMs = this.now() - started
        this.options.metrics?.rateLimitWait(waitedMs / 1000)
        const { ticket } = admission
        const { store } = this.options
        return {
          waitedMs,
          // Not awaited: the stamp is taken when the store runs it, i.e. as the request goes out. A
          // failure only loses the correction, never the call.
          markSent: () => {
            if (ticket) store.confirmSend(logKey, ticket).catch(() => {})
          },
        }
      }
      if (this.now() + admission.waitMs >= deadline) throw deadlinePassed()
      await this.sleep(admission.waitMs + 1, signal)
    }
  }
}

export interface SendPermit {
  waitedMs: number
  markSent(): void
}

function deadlinePassed(): VendorError {
  return new VendorError(
    'TIMEOUT',
    'the query deadline passes before the vendor rate limit allows another call',
  )
}
