import type { SourceMetrics } from '../../platform/metrics/service-metrics.js'
import type {
  LimiterKeys,
  PaceChange,
  PaceSettings,
  SharedStore,
  WindowAdmission,
} from '../../store/shared-store.js'
import { type Sleep, sleep } from './abortable-sleep.js'
import { VendorError } from './vendor-error.js'

export interface RateLimiterOptions {
  store: SharedStore
  /**
   * One key per app: every replica that calls this app as this app shares the schedule. The limiter adds
   * `:log` and `:pace` to it, and one script touches all three: on a cluster the key needs a hash tag.
   */
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
 * A call that leaves this long after the limiter asked for its admission (a slow store, an event loop
 * busy when the answer came) is re-stamped in the window as it leaves; sooner, the stamp is already within
 * the safety window of the real departure and the extra store command is spared.
 */
const CONFIRM_WHEN_LATER_THAN_MS = 5

/**
 * Outbound limit of one source, shared by every replica through the store: at most the rate in force in
 * any sliding second, token calls and retries included.
 *
 * Two steps, both atomic in the store, and one round trip when the source is idle:
 * 1. Pacing: a GCRA reservation gives each caller the next free slot of an evenly spaced schedule, first
 *    come first served, so waiting callers go out in order and a burst is spread over the second. A caller
 *    whose slot would come after its deadline gets a TIMEOUT at once and reserves nothing.
 * 2. Guard: at the moment of sending, a sliding-window log admits the call only if fewer than the rate in
 *    force were sent in the last 1000 + safetyMs ms. A timer that fires late (a busy event loop) would otherwise let a late call
 *    and the on-time calls after it crowd one second at the vendor; the guard makes the next one wait.
 *
 * The rate in force is the configured one until the vendor refuses a call for rate; then it is cut for
 * every replica at once and climbs back slowly (adaptive-pace.ts).
 */
export class RateLimiter {
  private readonly keys: LimiterKeys
  private readonly pace: PaceSettings
  private readonly safetyMs: number
  private readonly now: () => number
  private readonly sleep: Sleep

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? sleep
    const { key } = options
    this.keys = { slot: key, log: `${key}:log`, pace: `${key}:pace` }
    this.safetyMs = options.safetyMs ?? 30
    this.pace = { ratePerSecond: options.ratePerSecond, windowMs: 1000 + this.safetyMs }
    options.metrics?.rateInForce(options.ratePerSecond)
  }

  /**
   * Resolves when the caller may send. Call `markSent()` on the permit right before the request's first
   * byte is written: it says whether the permit still holds (see SendPermit).
   */
  async acquire(signal: AbortSignal, deadline: number): Promise<SendPermit> {
    const started = this.now()
    const maxWaitMs = deadline - started
    if (maxWaitMs <= 0) throw deadlinePassed()
    const { store } = this.options
    const reservation = await store.reserveSend(this.keys, this.pace, maxWaitMs)
    this.options.metrics?.rateInForce(reservation.rateInForce)
    if (!reservation.granted) throw deadlinePassed()
    if (reservation.ticket) return this.permit(reservation, started, started)
    await this.sleep(reservation.waitMs, signal)
    for (;;) {
      const asked = this.now()
      const admission = await store.admitToWindow(this.keys, this.pace)
      if (admission.granted) return this.permit(admission, started, asked)
      if (this.now() + admission.waitMs >= deadline) throw deadlinePassed()
      await this.sleep(admission.waitMs + 1, signal)
    }
  }

  /** The rate the replicas pace this source at now. */
  async rateInForce(): Promise<number> {
    return this.options.store.paceInForce(this.keys.pace, this.pace)
  }

  private permit(admission: WindowAdmission, started: number, asked: number): SendPermit {
    const { ticket, rateInForce: rate } = admission
    const waitedMs = this.now() - started
    this.options.metrics?.rateLimitWait(waitedMs / 1000)
    const { store } = this.options
    // Not awaited: the stamp is taken when the store runs it, i.e. as the request goes out. A failure only
    // loses the correction, never the call.
    const restamp = () => {
      if (ticket) store.confirmSend(this.keys.log, ticket).catch(() => {})
    }
    return {
      waitedMs,
      rateInForce: rate,
      markSent: () => {
        const lateMs = this.now() - asked
        // Held up past the safety window since the admission was asked for: its stamp in the window may be
        // that much earlier than its departure, and calls admitted since could crowd one second with it.
        if (lateMs > this.safetyMs) return false
        if (lateMs > CONFIRM_WHEN_LATER_THAN_MS) restamp()
        return true
      },
      restamp,
      refusedForRate: async () => {
        const change = await store.slowDown(this.keys.pace, this.pace, rate)
        this.options.metrics?.rateInForce(change.rateInForce)
        if (change.cut) this.options.metrics?.rateCut()
        return change
      },
    }
  }
}

export interface SendPermit {
  waitedMs: number
  /** The rate in force when the call was paced. */
  rateInForce: number
  /**
   * When the request gets its socket, before a byte of it is written. False when the permit went stale —
   * the caller was held up for more than the safety window since its admission was asked for (a starved
   * CPU): then send nothing and acquire a new permit. The stale admission stays in the window until it
   * ages out, which costs a place in it. A call 5 ms to the safety window late is re-stamped.
   */
  markSent(): boolean
  /** Moves the call's place in the window to now: it leaves later than admitted (a socket that connected). */
  restamp(): void
  /** The vendor refused this call for rate: slow the source down for every replica (once per burst). */
  refusedForRate(): Promise<PaceChange>
}

function deadlinePassed(): VendorError {
  return new VendorError(
    'TIMEOUT',
    'the query deadline passes before the vendor rate limit allows another call',
  )
}
