// Who may use the webhook routes, counted per minute in the shared store (all replicas together). Two
// counts that never mix: a source's events are counted only once they passed the vendor's signature or
// token check (EVENTS_RATE_LIMIT_PER_MINUTE), and the requests that failed it are counted per client
// address (EVENTS_FAILURES_PER_MINUTE). So a flood of forgeries uses up its own address's allowance and
// never a source's: a real event from the vendor is still taken. The counts are rate limits, not effects:
// while Redis is away they are kept per replica (the store's fallback), and a store error lets through.

import { type Clock, systemClock } from '../../platform/time/clock.js'
import type { SharedStore } from '../../store/shared-store.js'

export interface EventAdmissionLimits {
  /** Authenticated events a minute per source. */
  perSource: number
  /** Failed checks a minute per client address; past it the address is refused before any check. */
  failuresPerAddress: number
}

const MINUTE_MS = 60_000
/** A counter outlives its minute a little, so that the next minute's first reader never finds it early. */
const COUNTER_TTL_MS = 2 * MINUTE_MS

export class EventAdmission {
  private readonly clock: Clock

  constructor(
    private readonly store: SharedStore,
    private readonly limits: EventAdmissionLimits,
    clock: Clock = systemClock,
  ) {
    this.clock = clock
  }

  /** Counts one authenticated event of the source; false past its limit this minute. */
  async admitEvent(sourceId: string): Promise<boolean> {
    const count = await this.store
      .increment(`events:rate:{${sourceId}}:${this.minute()}`, 1, COUNTER_TTL_MS)
      .catch(() => 0)
    return count <= this.limits.perSource
  }

  /** Whether the address is still under its failure limit this minute (nothing is counted). */
  async addressAllowed(address: string): Promise<boolean> {
    const failures = await this.store.get(this.failuresKey(address)).catch(() => null)
    return Number(failures ?? 0) < this.limits.failuresPerAddress
  }

  /** A request from the address failed the vendor's check. */
  async countFailure(address: string): Promise<void> {
    await this.store.increment(this.failuresKey(address), 1, COUNTER_TTL_MS).catch(() => {})
  }

  /** Seconds until the current minute ends: when a refused address may try again. */
  secondsLeft(): number {
    return Math.max(1, Math.ceil((MINUTE_MS - (this.clock.now() % MINUTE_MS)) / 1000))
  }

  private minute(): number {
    return Math.floor(this.clock.now() / MINUTE_MS)
  }

  private failuresKey(address: string): string {
    return `events:failed:{${address}}:${this.minute()}`
  }
}
