// Reading an XLSX answer back as a spreadsheet program would, with exceljs: each sheet's header row and its
// rows as header → cell value. Not a test file.
import ExcelJS from 'exceljs'
import { comparableCell, type XlsxValue } from './expected-rows.js'

export async function loadWorkbook(data: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook()
  // exceljs types its argument as its own Buffer interface; Node's Buffer is what it reads.
  await workbook.xlsx.load(data as unknown as ExcelJS.Buffer)
  return workbook
}

export function sheet(workbook: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const found = workbook.getWorksheet(name)
  if (!found) throw new Error(`no sheet ${name}`)
  return found
}

/** The texts of row `number`, as many cells as `width`. */
export function rowValues(worksheet: ExcelJS.Worksheet, number: number, width: number): XlsxValue[] {
  const row = worksheet.getRow(number)
  return Array.from({ length: width }, (_, index) => comparableCell(row.getCell(index + 1).value))
}

/** Rows 2 to `last` (default: the sheet's last row) as header → value, dates as {date}. */
export function sheetRecords(
  worksheet: ExcelJS.Worksheet,
  header: readonly string[],
  last = worksheet.rowCount,
): Record<string, XlsxValue>[] {
  const records: Record<string, XlsxValue>[] = []
  for (let number = 2; number <= last; number++) {
    const values = rowValues(worksheet, number, header.length)
    records.push(Object.fromEntries(header.map((column, index) => [column, values[index] ?? null])))
  }
  return records
}
