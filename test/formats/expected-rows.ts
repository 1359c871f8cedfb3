// The oracle of the CSV and XLSX tests: what each row of a file must hold for a DayResult, written from
// the text rather than from src/formats, so that a wrong column order, a lost field or a missed
// neutralization shows as a difference. Not a test file (tap includes only *.test.ts).
import type { DayResult } from '../../src/schemas/day-result.js'

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
] as const

/** The columns, in the spec's order. */
export const SPEC_COLUMNS: readonly string[] = [
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
  ...CHECK_FIELDS.map((field) => `checkIn_${field}`),
  ...CHECK_FIELDS.map((field) => `checkOut_${field}`),
  'fetchedAt',
]

export const SPEC_TIME_COLUMNS: readonly string[] = [
  'checkIn_scheduledAt',
  'checkIn_checkedAt',
  'checkOut_scheduledAt',
  'checkOut_checkedAt',
  'fetchedAt',
]

export type Value = string | number | boolean | null
export type ExpectedRow = Record<string, Value>

/** One row per segment (segment numbered from 1); a day without segments is one row, checks empty. */
export function expectedRows(day: DayResult): ExpectedRow[] {
  const head: ExpectedRow = {
    source: day.source,
    vendor: day.vendor,
    userId: day.userId,
    employeeName: day.employeeName,
    workDate: day.workDate,
    timezone: day.timezone,
    groupId: day.groupId,
    shiftId: day.shiftId,
  }
  const fetchedAt = day.fetchedAt ?? null
  const segments = day.segments.length > 0 ? day.segments : [null]
  return segments.map((segment, index) => {
    const row: ExpectedRow = {
      ...head,
      segment: segment ? index + 1 : null,
      overtime: segment?.overtime ?? null,
    }
    for (const side of ['checkIn', 'checkOut'] as const) {
      const check = segment?.[side] ?? null
      for (const field of CHECK_FIELDS) row[`${side}_${field}`] = check ? check[field] : null
    }
    row.fetchedAt = fetchedAt
    return row
  })
}

/** OWASP: a cell a spreadsheet would run as a formula gets a leading apostrophe. */
export function neutralized(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

/** A row as a CSV parser reads it back: every cell text, empty for null. */
export function expectedCsvRow(row: ExpectedRow): Record<string, string> {
  return Object.fromEntries(
    SPEC_COLUMNS.map((column) => {
      const value = row[column] ?? null
      if (value === null) return [column, '']
      if (typeof value === 'string') return [column, neutralized(value)]
      return [column, String(value)]
    }),
  )
}

/** `2024-05-06T09:14:52+08:00` → the Date whose UTC fields read 2024-05-06 09:14:52 (the wall clock). */
export function wallClock(time: string): Date {
  const local = time.length === 10 ? `${time}T00:00:00` : time.slice(0, 19)
  return new Date(`${local}Z`)
}

/** A cell as compared: Dates by their instant, so that a difference prints readably. */
export type XlsxValue = Value | { date: string }

export function comparableCell(value: unknown): XlsxValue {
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString() }
  if (value === undefined) return null
  return value as Value
}

/**
 * A text as an XLSX reader gets it: verbatim (a string cell runs nothing, so nothing is neutralized), except
 * that XML reads every line end as LF (XML 1.0 §2.11), so a CR comes back as LF.
 */
export function xlsxText(text: string): string {
  return text.replace(/\r\n?/g, '\n')
}

/** A row as exceljs reads it back: texts as xlsxText, times and the work date as wall-clock Dates. */
export function expectedXlsxRow(row: ExpectedRow): Record<string, XlsxValue> {
  return Object.fromEntries(
    SPEC_COLUMNS.map((column) => {
      const value = row[column] ?? null
      if (typeof value !== 'string') return [column, value]
      if (column === 'workDate' || SPEC_TIME_COLUMNS.includes(column))
        return [column, comparableCell(wallClock(value))]
      return [column, xlsxText(value)]
    }),
  )
}
