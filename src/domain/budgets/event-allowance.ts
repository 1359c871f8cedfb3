// DingTalk's event allowance: on the standard edition the pushes of events (webhook or stream) count
// against their own monthly allowance, 3,000 events a month (vendor-docs/FACTS.md), apart from the API call
// quota. The service counts the events it receives per source and calendar month in the source's zone, all
// replicas together, each event once (its count is written with its dedup mark: EventEffects), shows the
// count on /sources and in the metrics, and says once when 80% and when all of it is used.

import { type Clock, systemClock } from '../../platform/time/clock.js'
import { workDateInZone, zonedMidnight } from '../../platform/time/zoned-time.js'
import type { SharedStore } from '../../store/shared-store.js'

/** The standard edition's allowance: events a month (contact events are free, and not attendance's). */
export const DINGTALK_EVENT_ALLOWANCE = 3000
/** The share of the allowance past which it is worth a warning. */
export const WARN_SHARE = 0.8

const DAY_MS = 86_400_000
/** The count outlives its month a little, so a report at the turn of the month still reads it. */
const KEEP_AFTER_MONTH_MS = 7 * DAY_MS

export interface AllowanceCrossing {
  /** 0.8: WARN_SHARE was reached; 1: the whole allowance is used. */
  share: number
  used: number
  limit: number
  month: string
}

export interface EventAllowanceOptions {
  /** Where the count is read, and where "said once" is remembered (the counting is EventEffects'). */
  store: SharedStore
  sourceId: string
  timezone: string
  monthlyAllowance: number
  clock?: Clock
  /** Told once a month, fleet-wide, when the count reaches WARN_SHARE and when it reaches the allowance. */
  onCrossed?: (crossing: AllowanceCrossing) => void
}

export class EventAllowance {
  readonly limit: number
  private readonly clock: Clock

  constructor(private readonly options: EventAllowanceOptions) {
    this.limit = options.monthlyAllowance
    this.clock = options.clock ?? systemClock
  }

  /** YYYY-MM of now in the source's zone. */
  month(): string {
    return workDateInZone(this.clock.now(), this.options.timezone).slice(0, 7)
  }

  /** The counter an event is counted in (with its mark, in one step); it shares the source's hash tag. */
  counter(): { key: string; ttlMs: number } {
    return {
      key: `events:pushes:{${this.options.sourceId}}:${this.month()}`,
      ttlMs: this.monthEndsAt() - this.clock.now() + KEEP_AFTER_MONTH_MS,
    }
  }

  /** The events counted this month, all replicas together. */
  async used(): Promise<number> {
    return Number((await this.options.store.get(this.counter().key)) ?? 0)
  }

  /** After an event was counted: `used` is the count it made. Reports a threshold crossed, once. */
  async counted(used: number): Promise<void> {
    for (const share of [WARN_SHARE, 1]) {
      if (used < Math.ceil(this.limit * share)) continue
      const month = this.month()
      const first = await this.options.store
        .setIfAbsent(`${this.counter().key}:said:${share}`, '1', this.counter().ttlMs)
        .catch(() => false)
      if (first) this.options.onCrossed?.({ share, used, limit: this.limit, month })
    }
  }

  /** Epoch ms at which the next month starts in the source's zone. */
  private monthEndsAt(): number {
    const [year, month] = this.month().split('-').map(Number) as [number, number]
    const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`
    return zonedMidnight(next, this.options.timezone)
  }
}
