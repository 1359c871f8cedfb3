// The counting behind UserSummary (see schemas/user-summary.ts for each definition). Days are added one
// at a time in the answer's order, so a summary of thousands of users holds one small record per user and
// never the days themselves.
import type { Check, DayResult } from '../../schemas/day-result.js'
import { CHECK_RESULTS } from '../../schemas/day-result.js'
import type { SummaryTotals } from '../../schemas/user-summary.js'

const LATE_RESULTS: ReadonlySet<string> = new Set(['late', 'serious_late', 'absenteeism_late'])

export function emptyTotals(): SummaryTotals {
  return {
    days: 0,
    workDays: 0,
    checks: Object.fromEntries(CHECK_RESULTS.map((result) => [result, 0])) as SummaryTotals['checks'],
    late: { count: 0, seconds: 0 },
    earlyLeave: { count: 0, seconds: 0 },
    missingChecks: 0,
    absentDays: 0,
    workedSeconds: 0,
    overtime: { segments: 0, seconds: 0 },
  }
}

/** Whole seconds from `earlier` to `later` (RFC 3339 with offsets), never below 0; 0 when either is null. */
export function secondsBetween(earlier: string | null, later: string | null): number {
  if (earlier === null || later === null) return 0
  const ms = Date.parse(later) - Date.parse(earlier)
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms / 1000) : 0
}

/** Adds one day's counts to `totals`. */
export function addDay(totals: SummaryTotals, day: DayResult): void {
  totals.days++
  const regular = day.segments.filter((segment) => !segment.overtime)
  if (regular.length > 0) totals.workDays++
  let regularChecks = 0
  let missing = 0
  const count = (check: Check | null) => {
    if (!check) return
    regularChecks++
    totals.checks[check.result]++
    if (check.result === 'missing') missing++
  }
  for (const segment of regular) {
    const { checkIn, checkOut } = segment
    count(checkIn)
    count(checkOut)
    if (checkIn && LATE_RESULTS.has(checkIn.result)) {
      totals.late.count++
      totals.late.seconds += secondsBetween(checkIn.scheduledAt, checkIn.checkedAt)
    }
    if (checkOut?.result === 'early') {
      totals.earlyLeave.count++
      totals.earlyLeave.seconds += secondsBetween(checkOut.checkedAt, checkOut.scheduledAt)
    }
    if (checkIn?.checkedAt && checkOut?.checkedAt) {
      totals.workedSeconds += secondsBetween(checkIn.checkedAt, checkOut.checkedAt)
    }
  }
  totals.missingChecks += missing
  if (regularChecks > 0 && missing === regularChecks) totals.absentDays++
  for (const segment of day.segments) {
    if (!segment.overtime || !segment.checkOut?.checkedAt) continue
    const start = segment.checkIn?.checkedAt ?? segment.checkIn?.scheduledAt ?? null
    totals.overtime.segments++
    totals.overtime.seconds += secondsBetween(start, segment.checkOut.checkedAt)
  }
}

/** Adds `more` into `totals` (a person's totals over their accounts). */
export function addTotals(totals: SummaryTotals, more: SummaryTotals): void {
  totals.days += more.days
  totals.workDays += more.workDays
  for (const result of CHECK_RESULTS) totals.checks[result] += more.checks[result]
  totals.late.count += more.late.count
  totals.late.seconds += more.late.seconds
  totals.earlyLeave.count += more.earlyLeave.count
  totals.earlyLeave.seconds += more.earlyLeave.seconds
  totals.missingChecks += more.missingChecks
  totals.absentDays += more.absentDays
  totals.workedSeconds += more.workedSeconds
  totals.overtime.segments += more.overtime.segments
  totals.overtime.seconds += more.overtime.seconds
}
