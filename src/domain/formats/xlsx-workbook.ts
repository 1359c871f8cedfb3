// An XLSX answer written row by row with exceljs's streaming writer: sheet `Days` (the CSV's columns, the
// header frozen and filtered, times as real Excel date-times showing the source's wall clock) and sheet
// `Sources` (the reports). Rows are committed as they come, so memory stays bounded whatever the size.
import type { Writable } from 'node:stream'
import ExcelJS from 'exceljs'
import type { DayResult } from '../../schemas/day-result.js'
import type { SourceReport } from '../../schemas/source-report.js'
import type { PersonSummary, UserSummary } from '../../schemas/user-summary.js'
import { type Cell, DAY_COLUMNS, type DayColumn, dayRows, TIME_COLUMNS } from './day-rows.js'
import { PERSON_COLUMNS, personRow, SUMMARY_COLUMNS, summaryRow } from './summary-rows.js'

const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss'
const DATE_FORMAT = 'yyyy-mm-dd'

/** Widths (in characters) that fit the values each column holds; the header's length where longer. */
const TYPICAL_WIDTHS: Partial<Record<DayColumn, number>> = {
  source: 12,
  userId: 26,
  employeeName: 16,
  workDate: 11,
  timezone: 16,
  groupId: 12,
  shiftId: 12,
}

function widthOf(column: string): number {
  if (TIME_COLUMNS.has(column as DayColumn)) return 20
  return Math.max(column.length + 2, TYPICAL_WIDTHS[column as DayColumn] ?? 10)
}

/**
 * An RFC 3339 time with the source's offset as a Date whose UTC fields are that wall clock: Excel has no
 * time zones and exceljs writes a Date by its UTC fields, so the cell shows the time in the source's zone.
 */
export function wallClockDate(time: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?/.exec(time)
  if (!match) return new Date(Number.NaN)
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)))
}

const SOURCE_COLUMNS = [
  'source',
  'vendor',
  'status',
  'complete',
  'vendorCalls',
  'cacheHits',
  'cacheMisses',
  'invalidUserIds',
  'unauthorizedUserIds',
  'errorCode',
  'errorMessage',
  'vendorCode',
  'missing',
  'warnings',
] as const

function sourceRow(report: SourceReport): Cell[] {
  return [
    report.source,
    report.vendor,
    report.status,
    report.status === 'ok' && report.invalidUserIds.length === 0 && report.unauthorizedUserIds.length === 0,
    report.vendorCalls,
    report.cache.hits,
    report.cache.misses,
    report.invalidUserIds.join(', '),
    report.unauthorizedUserIds.join(', '),
    report.error?.code ?? null,
    report.error?.message ?? null,
    report.error?.vendorCode === undefined || report.error?.vendorCode === null
      ? null
      : String(report.error.vendorCode),
    report.missing.map((part) => `${part.from}..${part.to}: ${part.userIds.join(', ')}`).join('; '),
    report.warnings.map((warning) => `${warning.code} ×${warning.count}`).join('; '),
  ]
}

export interface XlsxSummary {
  from: string
  to: string
  complete: boolean
  sources: SourceReport[]
}

export interface XlsxSummaries {
  /** Sheet `Summary`: a row per user. */
  summaries: readonly UserSummary[]
  /** Sheet `People` (groupBy=person): a row per person. */
  people?: readonly PersonSummary[]
}

export class XlsxAnswer {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter
  private readonly days: ExcelJS.Worksheet | undefined
  private readonly timeColumns: number[]
  private readonly workDateColumn = DAY_COLUMNS.indexOf('workDate')

  /** `withDays: false` for a summaries workbook: no `Days` sheet. */
  constructor(stream: Writable, withDays = true) {
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream,
      useStyles: true,
      useSharedStrings: false,
    })
    this.timeColumns = DAY_COLUMNS.flatMap((column, index) => (TIME_COLUMNS.has(column) ? [index] : []))
    if (!withDays) return
    this.days = this.table(
      'Days',
      DAY_COLUMNS.map((column) => ({
        header: column,
        key: column,
        width: widthOf(column),
        style: TIME_COLUMNS.has(column)
          ? { numFmt: DATE_TIME_FORMAT }
          : column === 'workDate'
            ? { numFmt: DATE_FORMAT }
            : {},
      })),
    )
  }

  addDays(days: readonly DayResult[]): void {
    const sheet = this.days
    if (!sheet) return
    for (const day of days) {
      for (const row of dayRows(day)) {
        const values: unknown[] = row
        for (const index of this.timeColumns) {
          const value = row[index]
          if (typeof value === 'string') values[index] = wallClockDate(value)
        }
        values[this.workDateColumn] = wallClockDate(day.workDate)
        sheet.addRow(values).commit()
      }
    }
  }

  /**
   * Ends `Days`, writes `Summary` (and `People`) when given, then `Sources` and the rest of the workbook;
   * resolves once the zip is written out. Sheets are written one after the other: a streamed workbook
   * cannot go back to an earlier sheet.
   */
  async finish(summary: XlsxSummary, summaries?: XlsxSummaries): Promise<void> {
    this.days?.commit()
    if (summaries) {
      const sheet = this.table('Summary', summaryColumns(SUMMARY_COLUMNS))
      for (const row of summaries.summaries) sheet.addRow(summaryRow(row)).commit()
      sheet.commit()
      if (summaries.people) {
        const people = this.table('People', summaryColumns(PERSON_COLUMNS))
        for (const row of summaries.people) people.addRow(personRow(row)).commit()
        people.commit()
      }
    }
    const sources = this.workbook.addWorksheet('Sources', { views: [{ state: 'frozen', ySplit: 1 }] })
    sources.columns = SOURCE_COLUMNS.map((column) => ({
      header: column,
      key: column,
      width: column === 'errorMessage' || column === 'missing' ? 60 : Math.max(column.length + 2, 12),
    }))
    sources.getRow(1).font = { bold: true }
    for (const report of summary.sources) sources.addRow(sourceRow(report)).commit()
    sources.addRow([]).commit()
    sources.addRow(['from', summary.from]).commit()
    sources.addRow(['to', summary.to]).commit()
    sources.addRow(['complete', summary.complete]).commit()
    sources.commit()
    await this.workbook.commit()
  }

  /** A sheet with a frozen, bold, filtered header row. */
  private table(name: string, columns: Partial<ExcelJS.Column>[]): ExcelJS.Worksheet {
    const sheet = this.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] })
    sheet.columns = columns
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } }
    sheet.getRow(1).font = { bold: true }
    return sheet
  }
}

function summaryColumns(names: readonly string[]): Partial<ExcelJS.Column>[] {
  const wide: Record<string, number> = { userId: 26, employeeName: 16, name: 16, accounts: 40 }
  return names.map((name) => ({
    header: name,
    key: name,
    width: Math.max(name.length + 2, wide[name] ?? 10),
  }))
}
