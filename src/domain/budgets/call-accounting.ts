// Vendor calls counted per source and calendar month (in the source's zone), all replicas together through
// the shared store: data calls and token calls apart, the month's budget (monthlyCallBudget), the vendor's
// own spent quota (DingTalk 90020, Feishu 99991403) remembered with its code until the month ends, and the
// rows per user-day that DingTalk page estimates are made from.

import { type Clock, systemClock } from '../../platform/time/clock.js'
import { workDateInZone, zonedMidnight } from '../../platform/time/zoned-time.js'
import type { SharedStore } from '../../store/shared-store.js'
import { VendorError } from '../../vendors/common/vendor-error.js'
import type { SourceBudget, SpentQuota } from '../attendance/source-budget.js'

export interface CallAccountingOptions {
  store: SharedStore
  /** The tenant's hash tag (cache/cache-keys.ts): counts belong to the app, not to a source id. */
  tag: string
  timezone: string
  monthlyCallBudget: number | undefined
  clock?: Clock
}

export interface MonthUsage {
  month: string
  dataCalls: number
  tokenCalls: number
}

export interface BudgetState {
  limit: number
  remaining: number
  /** RFC 3339: when the next month starts in the source's zone. */
  resetsAt: string
}

const DAY_MS = 86_400_000
/** Counters outlive their month a little, so a report at the turn of the month still reads them. */
const KEEP_AFTER_MONTH_MS = 7 * DAY_MS
const ROWS_KEPT_MS = 35 * DAY_MS
const DEFAULT_ROWS_PER_USER_DAY = 2
const DINGTALK_QUOTA_CODE = 90020

export class CallAccounting implements SourceBudget {
  private readonly clock: Clock

  constructor(private readonly options: CallAccountingOptions) {
    this.clock = options.clock ?? systemClock
  }

  /** YYYY-MM of now in the source's zone. */
  month(): string {
    return workDateInZone(this.clock.now(), this.options.timezone).slice(0, 7)
  }

  /** Epoch ms at which the next month starts in the source's zone. */
  monthEndsAt(): number {
    const [year, month] = this.month().split('-').map(Number) as [number, number]
    const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`
    return zonedMidnight(next, this.options.timezone)
  }

  /**
   * Called before each data call: refuses it (VENDOR_QUOTA_EXHAUSTED / VENDOR_BUDGET_EXHAUSTED, which stop
   * the source) when the vendor's quota is spent or the budget would be passed; counts it otherwise.
   */
  async takeDataCall(): Promise<void> {
    // The check and the count in one round trip: this runs before every data call.
    const used = await this.options.store.incrementUnless(
      this.key('data'),
      this.key('quota-spent'),
      1,
      this.counterTtlMs(),
    )
    if (used === null) throw quotaSpentError((await this.quotaSpent())?.vendorCode ?? null)
    const limit = this.options.monthlyCallBudget
    if (limit !== undefined && used > limit) {
      await this.options.store.increment(this.key('data'), -1, this.counterTtlMs())
      throw new VendorError(
        'VENDOR_BUDGET_EXHAUSTED',
        `this source's monthlyCallBudget of ${limit} data calls is spent for ${this.month()}`,
      )
    }
  }

  async countTokenCall(): Promise<void> {
    await this.options.store.increment(this.key('token'), 1, this.counterTtlMs())
  }

  /** The vendor said its monthly quota is spent: no call until the month ends. */
  async markQuotaSpent(vendorCode: number | string | null): Promise<void> {
    const ttlMs = this.monthEndsAt() - this.clock.now()
    await this.options.store.set(this.key('quota-spent'), String(vendorCode ?? ''), ttlMs)
  }

  async quotaSpent(): Promise<SpentQuota | null> {
    const stored = await this.options.store.get(this.key('quota-spent'))
    if (stored === null) return null
    // Replicas before the code was kept wrote '1', and only ever for DingTalk's 90020.
    if (stored === '1') return { vendorCode: DINGTALK_QUOTA_CODE }
    const code = Number(stored)
    return { vendorCode: stored === '' ? null : Number.isSafeInteger(code) ? code : stored }
  }

  async usage(): Promise<MonthUsage> {
    const [data, token] = await Promise.all([
      this.options.store.get(this.key('data')),
      this.options.store.get(this.key('token')),
    ])
    return { month: this.month(), dataCalls: Number(data ?? 0), tokenCalls: Number(token ?? 0) }
  }

  async budget(): Promise<BudgetState | null> {
    const limit = this.options.monthlyCallBudget
    if (limit === undefined) return null
    const { dataCalls } = await this.usage()
    return {
      limit,
      remaining: Math.max(0, limit - dataCalls),
      resetsAt: new Date(this.monthEndsAt()).toISOString().replace('.000Z', 'Z'),
    }
  }

  async remaining(): Promise<number | undefined> {
    return (await this.budget())?.remaining
  }

  async rowsPerUserDay(): Promise<number> {
    const [rows, userDays] = await Promise.all([
      this.options.store.get(this.statKey('rows')),
      this.options.store.get(this.statKey('user-days')),
    ])
    const seen = Number(userDays ?? 0)
    return seen > 0 ? Number(rows ?? 0) / seen : DEFAULT_ROWS_PER_USER_DAY
  }

  async recordRows(rows: number, userDays: number): Promise<void> {
    await Promise.all([
      this.options.store.increment(this.statKey('rows'), rows, ROWS_KEPT_MS),
      this.options.store.increment(this.statKey('user-days'), userDays, ROWS_KEPT_MS),
    ])
  }

  private key(kind: 'data' | 'token' | 'quota-spent'): string {
    return `calls:{${this.options.tag}}:${this.month()}:${kind}`
  }

  private statKey(kind: 'rows' | 'user-days'): string {
    return `rows-per-day:{${this.options.tag}}:${kind}`
  }

  private counterTtlMs(): number {
    return this.monthEndsAt() - this.clock.now() + KEEP_AFTER_MONTH_MS
  }
}

function quotaSpentError(vendorCode: number | string | null): VendorError {
  return new VendorError(
    'VENDOR_QUOTA_EXHAUSTED',
    `the vendor answered this month that the org's API quota is spent (code ${vendorCode ?? 'not given'}); no call until the month ends`,
    { vendorCode },
  )
}
