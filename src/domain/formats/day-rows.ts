// A DayResult as flat rows, one per segment: the columns of the CSV and of the XLSX `Days` sheet. A day
// without segments still gets one row (its check columns empty), so that every day of the answer is a row.
import type { Check, DayResult } from '../../schemas/day-result.js'

const CHECK_FIELDS = [
  'result',
  'vendorResult',
  'scheduledAt',
  'checkedAt',
  'recordId',
  'approvalId',
  'resultSupplement',
  'locationName',
  'locationResult',
  'method',
] as const satisfies readonly (keyof Check)[]

export const DAY_COLUMNS = [
  'source',
  'vendor',
  'userId',
  'employeeName',
  'workDate',
  'timezone',
  'groupId',
  'shiftId',
  'segment',
  'overtime',
  ...CHECK_FIELDS.map((field) => `checkIn_${field}` as const),
  ...CHECK_FIELDS.map((field) => `checkOut_${field}` as const),
  'fetchedAt',
] as const
export type DayColumn = (typeof DAY_COLUMNS)[number]

/** Columns that hold an RFC 3339 time: real date-times in a spreadsheet. */
export const TIME_COLUMNS: ReadonlySet<DayColumn> = new Set([
  'checkIn_scheduledAt',
  'checkIn_checkedAt',
  'checkOut_scheduledAt',
  'checkOut_checkedAt',
  'fetchedAt',
])

/** A cell: null is an empty cell. Times stay RFC 3339 strings here; each format renders them its way. */
export type Cell = string | number | boolean | null
export type DayRow = Cell[]

function checkCells(check: Check | null): Cell[] {
  return CHECK_FIELDS.map((field) => (check ? (check[field] ?? null) : null))
}

const EMPTY_CHECK = checkCells(null)

/** The rows of one day, in DAY_COLUMNS order. */
export function dayRows(day: DayResult): DayRow[] {
  const head: Cell[] = [
    day.source,
    day.vendor,
    day.userId,
    day.employeeName,
    day.workDate,
    day.timezone,
    day.groupId,
    day.shiftId,
  ]
  const fetchedAt = day.fetchedAt ?? null
  if (day.segments.length === 0) return [[...head, null, null, ...EMPTY_CHECK, ...EMPTY_CHECK, fetchedAt]]
  return day.segments.map((segment, index) => [
    ...head,
    index + 1,
    segment.overtime,
    ...checkCells(segment.checkIn),
    ...checkCells(segment.checkOut),
    fetchedAt,
  ])
}
