// DingTalk meters its APIs per org and calendar month (FACTS.md): once the month's quota is spent, every
// metered call answers errcode 90020 until the month changes. The month is the one in the simulator's zone
// on `dataClock`, so a test moves a manual clock into the next month to see the quota come back.
//
// Which calls count: every data call that passed the gateway (rate limit) and the token check, whatever
// its answer afterwards — a parameter refusal and an injected fault included. The vendor documents no
// refund for failed calls, so counting them is the stricter choice. Token calls are not metered.
import { formatWorkDate } from '../../time/work-date.js'
import { localEpochDay } from '../shared/zoned-clock.js'

export interface QuotaSettings {
  /** Metered calls allowed per month; 0: no limit (calls are still counted). */
  monthlyQuota: number
  timezone: string
  dataClock: () => number
}

export class MonthlyQuota {
  readonly #settings: () => QuotaSettings
  /** 'YYYY-MM' of the month `#used` belongs to. */
  #month = ''
  #used = 0

  constructor(settings: () => QuotaSettings) {
    this.#settings = settings
  }

  /** Counts a call against this month's quota; false (and not counted) when the quota is already spent. */
  spend(): boolean {
    this.#roll()
    const { monthlyQuota } = this.#settings()
    if (monthlyQuota > 0 && this.#used >= monthlyQuota) return false
    this.#used++
    return true
  }

  /** Calls counted in the current month. */
  used(): number {
    this.#roll()
    return this.#used
  }

  /** Gives the current month its whole quota again. */
  reset(): void {
    this.#used = 0
  }

  #roll(): void {
    const { timezone, dataClock } = this.#settings()
    const month = formatWorkDate(localEpochDay(timezone, dataClock())).slice(0, 7)
    if (month !== this.#month) {
      this.#month = month
      this.#used = 0
    }
  }
}
