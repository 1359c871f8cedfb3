// The port through which the domain learns what a source may still spend this month, before it plans any
// call: its own budget (monthlyCallBudget) and whether the vendor's monthly quota is spent. Every data call
// is also counted and checked one by one on the vendor path, so pages known only as they come stop at the
// budget too.
export interface SourceBudget {
  /** Data calls left this calendar month (source zone), all replicas together; undefined: no budget. */
  remaining(): Promise<number | undefined>
  /** The vendor answered that the org's monthly quota is spent (DingTalk 90020), this month. */
  quotaSpent(): Promise<boolean>
  /** Rows per user-day this source has returned so far (DingTalk pages); 2 before any. */
  rowsPerUserDay(): Promise<number>
  /** Counts rows a block returned, for the estimate. */
  recordRows(rows: number, userDays: number): Promise<void>
}
