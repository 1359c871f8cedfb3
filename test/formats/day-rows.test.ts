// A DayResult as flat rows: the CSV's and the XLSX `Days` sheet's columns in the spec's order, one row per
// segment, one row with empty check columns for a day without segments, and nothing but those columns.
import t from 'tap'
import { DAY_COLUMNS, dayRows, TIME_COLUMNS } from '../../src/domain/formats/day-rows.js'
import { expectedRows, SPEC_COLUMNS, SPEC_TIME_COLUMNS } from './expected-rows.js'
import { dingtalkDay, emptyDay, feishuDay, formulaDay } from './sample-days.js'

/** dayRows' arrays as column → cell, for a readable difference. */
function byColumn(rows: unknown[][]): Record<string, unknown>[] {
  for (const row of rows)
    if (row.length !== SPEC_COLUMNS.length) throw new Error(`a row of ${row.length} cells`)
  return rows.map((row) => Object.fromEntries(SPEC_COLUMNS.map((column, index) => [column, row[index]])))
}

t.test('the columns are the spec’s, in its order; the time columns are the five RFC 3339 ones', async (t) => {
  t.same([...DAY_COLUMNS], SPEC_COLUMNS)
  t.equal(DAY_COLUMNS.length, 31)
  t.same([...TIME_COLUMNS].sort(), [...SPEC_TIME_COLUMNS].sort())
})

t.test('one row per segment, numbered from 1, every check field in place', async (t) => {
  const rows = dayRows(feishuDay)
  t.equal(rows.length, 2)
  t.same(byColumn(rows), expectedRows(feishuDay))
  const [first, second] = byColumn(rows)
  t.equal(first?.segment, 1)
  t.equal(first?.overtime, false)
  t.equal(first?.employeeName, '孙洋', 'the Chinese name as given')
  t.equal(second?.segment, 2)
  t.equal(second?.overtime, true)
  t.equal(second?.checkOut_locationName, '客户现场·上海虹桥')
  t.equal(second?.checkOut_locationResult, 'outside')
  t.equal(second?.checkOut_method, 'quick_check')
  t.equal(second?.fetchedAt, '2024-05-07T10:00:01+08:00', 'the day’s fetchedAt on every row')
})

t.test('a null check gives empty (null) cells for its ten columns, the other check stays', async (t) => {
  const [row] = byColumn(dayRows(dingtalkDay))
  t.ok(row)
  for (const column of SPEC_COLUMNS.filter((name) => name.startsWith('checkOut_')))
    t.equal(row?.[column], null, column)
  t.equal(row?.checkIn_result, 'late')
  t.equal(row?.checkIn_approvalId, '04cb270e-9995-c173-543f-cdae4756f086')
  t.equal(row?.employeeName, null)
  t.equal(row?.shiftId, null)
})

t.test('a day without segments is one row: the day’s columns filled, the rest empty', async (t) => {
  const rows = dayRows(emptyDay)
  t.equal(rows.length, 1)
  const [row] = byColumn(rows)
  t.same(row, {
    source: 'feishu',
    vendor: 'feishu',
    userId: 'ou_2',
    employeeName: '王芳',
    workDate: '2024-05-07',
    timezone: 'Asia/Shanghai',
    groupId: '1',
    shiftId: '9',
    ...Object.fromEntries(SPEC_COLUMNS.slice(8).map((column) => [column, null])),
  })
})

t.test('vendor-only fields and raw rows are not columns', async (t) => {
  const withRaw = { ...dingtalkDay, raw: [{ checkType: 'OnDuty', timeResult: 'Late' }] }
  t.same(dayRows(withRaw), dayRows(dingtalkDay))
  const cells = dayRows(dingtalkDay).flat()
  t.notOk(cells.includes('USER'), 'vendorMethod is not written')
  // The day's only 'Normal' is its check-in's vendorLocationResult (its vendorResult is 'Late').
  t.notOk(cells.includes('Normal'), 'vendorLocationResult is not written')
})

t.test('texts are kept verbatim here: neutralization is the CSV encoder’s business', async (t) => {
  t.same(byColumn(dayRows(formulaDay)), expectedRows(formulaDay))
  t.equal(dayRows(formulaDay)[0]?.[DAY_COLUMNS.indexOf('userId')], '@sum')
})
