// The XLSX answer as a spreadsheet program reads it back: sheets `Days` (the CSV's columns; header frozen,
// filtered and bold; widths set; times as real date-times that show the source's wall clock) and
// `Sources` (the reports, then from, to, complete). Texts stay text: a formula-like string is a string
// cell, never a formula.
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { PassThrough, type Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import ExcelJS from 'exceljs'
import t from 'tap'
import { wallClockDate, XlsxAnswer, type XlsxSummary } from '../../src/domain/formats/xlsx-workbook.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import type { SourceReport } from '../../src/schemas/source-report.js'
import { expectedRows, expectedXlsxRow, SPEC_COLUMNS, SPEC_TIME_COLUMNS, xlsxText } from './expected-rows.js'
import { loadWorkbook, rowValues, sheet, sheetRecords } from './read-workbook.js'
import { dingtalkDay, emptyDay, FORMULA_TEXTS, feishuDay, formulaDay } from './sample-days.js'

const DAYS = [feishuDay, dingtalkDay, emptyDay, formulaDay]

function report(overrides: Partial<SourceReport> = {}): SourceReport {
  return {
    source: 'feishu',
    vendor: 'feishu',
    status: 'ok',
    vendorCalls: 2,
    invalidUserIds: [],
    unauthorizedUserIds: [],
    missing: [],
    error: null,
    warnings: [],
    cache: { hits: 3, misses: 7 },
    ...overrides,
  }
}

const SUMMARY: XlsxSummary = {
  from: '2024-05-06',
  to: '2024-05-08',
  complete: false,
  sources: [
    report(),
    report({
      source: 'dingtalk',
      vendor: 'dingtalk',
      status: 'partial',
      vendorCalls: 5,
      missing: [
        { userIds: ['u1', 'u2'], from: '2024-05-06', to: '2024-05-07' },
        { userIds: ['u3'], from: '2024-05-08', to: '2024-05-08' },
      ],
      error: { code: 'VENDOR_UNAVAILABLE', message: 'the vendor answered 503 three times', vendorCode: 503 },
      warnings: [
        { code: 'DUPLICATE_DAY', message: 'a second day', count: 2 },
        { code: 'DAY_OUTSIDE_BLOCK', message: 'outside', count: 1 },
      ],
      cache: { hits: 0, misses: 15 },
    }),
    report({ source: 'feishu-hq', invalidUserIds: ['x1', 'x2'], unauthorizedUserIds: ['y1'] }),
  ],
}

async function writeWorkbook(stream: Writable, days: DayResult[], summary = SUMMARY): Promise<void> {
  const answer = new XlsxAnswer(stream)
  // In two chunks, as the sources deliver them.
  answer.addDays(days.slice(0, 2))
  answer.addDays(days.slice(2))
  await answer.finish(summary)
}

async function workbookBuffer(days: DayResult[], summary = SUMMARY): Promise<Buffer> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  await writeWorkbook(stream, days, summary)
  await finished(stream)
  return Buffer.concat(chunks)
}

t.test('wallClockDate: a Date whose UTC fields are the time as written, whatever the offset', async (t) => {
  const fields = (date: Date) => [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ]
  t.same(fields(wallClockDate('2024-05-06T09:14:52+08:00')), [2024, 5, 6, 9, 14, 52])
  t.same(fields(wallClockDate('2024-05-06T09:14:52-04:00')), [2024, 5, 6, 9, 14, 52])
  t.same(fields(wallClockDate('2024-12-31T23:59:59Z')), [2024, 12, 31, 23, 59, 59])
  t.same(fields(wallClockDate('2024-05-06T00:30:00+14:00')), [2024, 5, 6, 0, 30, 0], 'never moved a day')
  t.same(fields(wallClockDate('2024-05-06')), [2024, 5, 6, 0, 0, 0], 'a work date is its midnight')
  t.equal(wallClockDate('2024-05-06T09:14:52+08:00').getTime(), Date.UTC(2024, 4, 6, 9, 14, 52))
  t.ok(Number.isNaN(wallClockDate('yesterday').getTime()), 'not a time: an invalid Date')
})

t.test('a workbook read back: sheets, frozen header, filter, widths, cells', async (t) => {
  const workbook = await loadWorkbook(await workbookBuffer(DAYS))
  t.same(
    workbook.worksheets.map((worksheet) => worksheet.name),
    ['Days', 'Sources'],
  )
  const days = sheet(workbook, 'Days')

  t.same(rowValues(days, 1, SPEC_COLUMNS.length + 1), [...SPEC_COLUMNS, null], 'the header, nothing after')
  t.equal(days.getRow(1).getCell(1).font?.bold, true, 'a bold header')
  t.match(days.views, [{ state: 'frozen', ySplit: 1, topLeftCell: 'A2' }], 'the header row frozen')
  t.notOk((days.views[0] as { xSplit?: number }).xSplit, 'no column frozen')
  t.equal(days.autoFilter, 'A1:AE1', 'an autofilter over the 31 columns of the header')
  SPEC_COLUMNS.forEach((column, index) => {
    const width = days.getColumn(index + 1).width ?? 0
    t.ok(width >= column.length, `${column}: width ${width} fits its header`)
    if (SPEC_TIME_COLUMNS.includes(column))
      t.ok(width >= '2024-05-06 09:14:52'.length, `${column}: width ${width} fits a date-time`)
  })

  t.equal(days.rowCount, 1 + 2 + 1 + 1 + 1, 'a row per segment, one for the day without segments')
  t.same(sheetRecords(days, SPEC_COLUMNS), DAYS.flatMap(expectedRows).map(expectedXlsxRow), 'every cell')
})

t.test('times are real date-times showing the source’s wall clock', async (t) => {
  const days = sheet(await loadWorkbook(await workbookBuffer(DAYS)), 'Days')
  const column = (name: string) => SPEC_COLUMNS.indexOf(name) + 1
  const checkedAt = days.getRow(2).getCell(column('checkIn_checkedAt'))
  t.equal(checkedAt.type, ExcelJS.ValueType.Date)
  t.ok(checkedAt.value instanceof Date)
  const shown = checkedAt.value as Date
  // feishuDay's check-in, 2024-05-06T08:55:32+08:00, reads 08:55:32.
  t.same([shown.getUTCHours(), shown.getUTCMinutes(), shown.getUTCSeconds()], [8, 55, 32])
  t.equal(checkedAt.numFmt, 'yyyy-mm-dd hh:mm:ss')
  for (const name of SPEC_TIME_COLUMNS)
    t.equal(days.getRow(2).getCell(column(name)).numFmt, 'yyyy-mm-dd hh:mm:ss', name)

  const workDate = days.getRow(2).getCell(column('workDate'))
  t.equal(workDate.type, ExcelJS.ValueType.Date)
  t.equal((workDate.value as Date).toISOString(), '2024-05-06T00:00:00.000Z')
  t.equal(workDate.numFmt, 'yyyy-mm-dd')

  // formulaDay is in New York: 2024-05-08T08:59:59-04:00 reads 08:59:59, not Shanghai's or UTC's clock.
  const newYork = days.getRow(6).getCell(column('checkIn_checkedAt')).value as Date
  t.equal(newYork.toISOString(), '2024-05-08T08:59:59.000Z')
  const fetched = days.getRow(6).getCell(column('fetchedAt')).value as Date
  t.equal(fetched.toISOString(), '2024-05-09T00:30:00.000Z')

  const emptyRow = days.getRow(5)
  t.equal(emptyRow.getCell(column('userId')).value, 'ou_2')
  t.equal(emptyRow.getCell(column('checkIn_checkedAt')).value, null, 'no check: an empty cell, not a date')
  t.equal(emptyRow.getCell(column('fetchedAt')).value, null)
})

t.test('texts stay text: Chinese intact, formula-like strings are string cells', async (t) => {
  const days = sheet(await loadWorkbook(await workbookBuffer(DAYS)), 'Days')
  const column = (name: string) => SPEC_COLUMNS.indexOf(name) + 1
  t.equal(days.getRow(2).getCell(column('employeeName')).value, '孙洋')
  t.equal(days.getRow(3).getCell(column('checkOut_locationName')).value, '客户现场·上海虹桥')
  const formulaRow = days.getRow(6)
  for (const [name, text] of [
    ['userId', '@sum'],
    ['employeeName', '=1+1'],
    ['groupId', '-1'],
    ['shiftId', '+9'],
    ['checkIn_locationName', FORMULA_TEXTS[0]],
    ['checkOut_locationName', FORMULA_TEXTS[4]],
    ['checkOut_resultSupplement', FORMULA_TEXTS[5]],
  ] as const) {
    const cell = formulaRow.getCell(column(name))
    t.equal(cell.type, ExcelJS.ValueType.String, `${name}: a string cell`)
    t.equal(cell.value, xlsxText(text), `${name}: verbatim (a CR read back as LF, as XML reads it)`)
    t.equal(cell.formula, undefined, `${name}: no formula`)
  }
  const segment = days.getRow(3).getCell(column('segment'))
  t.equal(segment.type, ExcelJS.ValueType.Number)
  t.equal(segment.value, 2)
  t.equal(days.getRow(3).getCell(column('overtime')).value, true, 'a boolean cell')
})

t.test('the Sources sheet: one row per report, then from, to and complete', async (t) => {
  const workbook = await loadWorkbook(await workbookBuffer(DAYS))
  const sources = sheet(workbook, 'Sources')
  const header = [
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
  ]
  t.same(rowValues(sources, 1, header.length + 1), [...header, null])
  t.match(sources.views, [{ state: 'frozen', ySplit: 1 }])
  const none = { errorCode: null, errorMessage: null, vendorCode: null }
  t.same(sheetRecords(sources, header, 4), [
    {
      source: 'feishu',
      vendor: 'feishu',
      status: 'ok',
      complete: true,
      vendorCalls: 2,
      cacheHits: 3,
      cacheMisses: 7,
      invalidUserIds: null,
      unauthorizedUserIds: null,
      ...none,
      missing: null,
      warnings: null,
    },
    {
      source: 'dingtalk',
      vendor: 'dingtalk',
      status: 'partial',
      complete: false,
      vendorCalls: 5,
      cacheHits: 0,
      cacheMisses: 15,
      invalidUserIds: null,
      unauthorizedUserIds: null,
      errorCode: 'VENDOR_UNAVAILABLE',
      errorMessage: 'the vendor answered 503 three times',
      vendorCode: '503',
      missing: '2024-05-06..2024-05-07: u1, u2; 2024-05-08..2024-05-08: u3',
      warnings: 'DUPLICATE_DAY ×2; DAY_OUTSIDE_BLOCK ×1',
    },
    {
      source: 'feishu-hq',
      vendor: 'feishu',
      status: 'ok',
      complete: false,
      vendorCalls: 2,
      cacheHits: 3,
      cacheMisses: 7,
      invalidUserIds: 'x1, x2',
      unauthorizedUserIds: 'y1',
      ...none,
      missing: null,
      warnings: null,
    },
  ])
  t.same(rowValues(sources, 5, 2), [null, null], 'a blank row')
  t.same(rowValues(sources, 6, 2), ['from', '2024-05-06'])
  t.same(rowValues(sources, 7, 2), ['to', '2024-05-08'])
  t.same(rowValues(sources, 8, 2), ['complete', false])
  t.equal(sources.rowCount, 8)
})

t.test('written to a file: the same workbook, no day rows when there are none', async (t) => {
  const path = join(t.testdir(), 'answer.xlsx')
  const file = createWriteStream(path)
  await writeWorkbook(file, [], { from: '2024-05-06', to: '2024-05-06', complete: true, sources: [report()] })
  await finished(file)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile(path)
  const days = sheet(workbook, 'Days')
  t.same(rowValues(days, 1, SPEC_COLUMNS.length), [...SPEC_COLUMNS])
  t.equal(days.rowCount, 1, 'the header only')
  const sources = sheet(workbook, 'Sources')
  t.same(rowValues(sources, 2, 4), ['feishu', 'feishu', 'ok', true])
  t.same(rowValues(sources, 6, 2), ['complete', true])
})
