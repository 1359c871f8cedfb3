// The port through which the domain learns what a source may still spend this month, before it plans any
// call: its own budget (monthlyCallBudget) and whether the vendor's monthly quota is spent. Every data call
// is also counted and checked one by one on the vendor path, so pages known only as they come stop at the
// budget too.
export interface SpentQuota {
  vendorCode: number | string | null
}

export interface SourceBudget {
  /** Data calls left this calendar month (source zone), all replicas together; undefined: no budget. */
  remaining(): Promise<number | undefined>
  /**
   * Set when the vendor answered this month that the org's monthly quota is spent, with the vendor's code
   * (DingTalk 90020, Feishu 99991403); null while it has not.
   */
  quotaSpent(): Promise<SpentQuota | null>
  /** Rows per user-day this source has returned so far (DingTalk pages); 2 before any. */
  rowsPerUserDay(): Promise<number>
  /** Counts rows a block returned, for the estimate. */
  recordRows(rows: number, userDays: number): Promise<void>
}
