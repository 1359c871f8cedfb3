// Days as RFC 4180 CSV text (CRLF, quoted where needed) through csv-stringify, a chunk at a time so that a
// streamed or file answer never holds more than one chunk of rows. Cells a spreadsheet would run as a
// formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'` (OWASP's CSV injection advice).
import { stringify } from 'csv-stringify/sync'
import type { DayResult } from '../../schemas/day-result.js'
import { type Cell, DAY_COLUMNS, dayRows } from './day-rows.js'

const OPTIONS = {
  record_delimiter: 'windows',
  // With a record delimiter given, csv-stringify quotes only cells holding that CRLF; a bare LF or CR in a
  // vendor text (a location name) would then end the record early for every reader.
  quote_record_delimiter: true,
  escape_formulas: true,
  // OWASP also wraps a neutralized cell in double quotes.
  quoted_match: /^[=+\-@\t\r]/,
  cast: { boolean: (value: boolean) => (value ? 'true' : 'false') },
} as const

const BOM = '\ufeff'

/** The header row, with the byte-order mark first when `bom` (Excel then reads the file as UTF-8). */
export function csvHeader(bom: boolean, columns: readonly string[] = DAY_COLUMNS): string {
  return (bom ? BOM : '') + stringify([columns as string[]], OPTIONS)
}

export function csvRows(rows: readonly Cell[][]): string {
  if (rows.length === 0) return ''
  return stringify(rows as Cell[][], OPTIONS)
}

/** The CSV rows of some days (no header). */
export function csvDays(days: readonly DayResult[]): string {
  return csvRows(days.flatMap(dayRows))
}
