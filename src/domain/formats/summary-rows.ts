// A UserSummary (or a person's totals) as one flat row: the columns of the summary CSV and of the XLSX
// `Summary` and `People` sheets. Nested fields are flattened with `_`: `late_count`, `checks_normal`.
import { CHECK_RESULTS } from '../../schemas/day-result.js'
import type { PersonSummary, SummaryTotals, UserSummary } from '../../schemas/user-summary.js'
import type { Cell } from './day-rows.js'

const TOTAL_COLUMNS = [
  'days',
  'workDays',
  ...CHECK_RESULTS.map((result) => `checks_${result}`),
  'late_count',
  'late_seconds',
  'earlyLeave_count',
  'earlyLeave_seconds',
  'missingChecks',
  'absentDays',
  'workedSeconds',
  'overtime_segments',
  'overtime_seconds',
]

export const SUMMARY_COLUMNS = [
  'source',
  'vendor',
  'userId',
  'employeeName',
  'person',
  ...TOTAL_COLUMNS,
  'complete',
]
export const PERSON_COLUMNS = ['person', 'name', 'accounts', ...TOTAL_COLUMNS, 'complete']

function totalCells(totals: SummaryTotals): Cell[] {
  return [
    totals.days,
    totals.workDays,
    ...CHECK_RESULTS.map((result) => totals.checks[result]),
    totals.late.count,
    totals.late.seconds,
    totals.earlyLeave.count,
    totals.earlyLeave.seconds,
    totals.missingChecks,
    totals.absentDays,
    totals.workedSeconds,
    totals.overtime.segments,
    totals.overtime.seconds,
  ]
}

export function summaryRow(summary: UserSummary): Cell[] {
  return [
    summary.source,
    summary.vendor,
    summary.userId,
    summary.employeeName,
    summary.person,
    ...totalCells(summary),
    summary.complete,
  ]
}

/** Accounts are joined with a space: ids hold no spaces, and a spreadsheet shows them in one cell. */
export function personRow(person: PersonSummary): Cell[] {
  return [person.person, person.name, person.accounts.join(' '), ...totalCells(person), person.complete]
}
