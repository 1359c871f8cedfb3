// Both vendors meter their APIs per org (tenant) and calendar month (FACTS.md): once the month's quota is
// spent, every metered call is refused (DingTalk errcode 90020, Feishu HTTP 429 code 99991403) until the
// month changes. The month is the one in the simulator's zone on `dataClock`, so a test moves a manual
// clock into the next month to see the quota come back.
//
// Which calls count is the vendor's rule, so each simulator says when: DingTalk spends a unit on every data
// call past its token check, whatever the answer (it documents no refund: the stricter choice); Feishu
// counts only the calls it answers 2xx, as its notice says. Token calls are metered by neither.
import { formatWorkDate } from '../../platform/time/work-date.js'
import { localEpochDay } from './zoned-clock.js'

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
    if (this.spent()) return false
    this.#used++
    return true
  }

  /** The month's quota is used up: the next metered call is refused. */
  spent(): boolean {
    this.#roll()
    const { monthlyQuota } = this.#settings()
    return monthlyQuota > 0 && this.#used >= monthlyQuota
  }

  /** Counts a call that was let through (by spent()) once its answer shows that it is metered. */
  count(): void {
    this.#roll()
    this.#used++
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
