// The CSV text: RFC 4180 (CRLF, quotes doubled, quoted where needed), a header row, the optional BOM, and
// OWASP's formula neutralization of every cell a spreadsheet would run, while numbers and ordinary text
// are written as they are. Read back with csv-parse, as a client would.
import { parse } from 'csv-parse/sync'
import t from 'tap'
import { csvDays, csvHeader, csvRows } from '../../src/domain/formats/csv-encoder.js'
import { expectedCsvRow, expectedRows, SPEC_COLUMNS } from './expected-rows.js'
import { dingtalkDay, emptyDay, FORMULA_TEXTS, feishuDay, formulaDay } from './sample-days.js'

const readBack = (text: string): string[][] => parse(text, { bom: true, relax_column_count: false })

t.test('the header row: the columns, comma-separated, CRLF; the BOM only when asked', async (t) => {
  t.equal(csvHeader(false), `${SPEC_COLUMNS.join(',')}\r\n`)
  const withBom = csvHeader(true)
  t.equal(withBom, `\ufeff${SPEC_COLUMNS.join(',')}\r\n`)
  t.same([...Buffer.from(withBom, 'utf8').subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the UTF-8 byte-order mark')
})

for (const text of FORMULA_TEXTS) {
  t.test(`a cell starting with ${JSON.stringify(text[0])} is neutralized and quoted`, async (t) => {
    const encoded = csvRows([[text]])
    t.equal(encoded, `"'${text.replaceAll('"', '""')}"\r\n`, 'a leading apostrophe, inside quotes')
    t.same(readBack(encoded), [[`'${text}`]], 'read back: the text behind an apostrophe')
  })
}

t.test('numbers, booleans, empty cells and ordinary text are written as they are', async (t) => {
  const row = [
    1,
    2,
    0,
    2.5,
    true,
    false,
    null,
    'Normal',
    '西溪八方城',
    'a=b',
    'x-y',
    'mail@example.com',
    ' =x',
  ]
  const encoded = csvRows([row])
  t.equal(encoded, '1,2,0,2.5,true,false,,Normal,西溪八方城,a=b,x-y,mail@example.com, =x\r\n')
  t.notOk(encoded.includes("'"), 'no apostrophe anywhere')
  const negative = readBack(csvRows([[-5]]))
  t.same(negative, [['-5']], 'a negative number is a number, not a formula: no apostrophe')
})

t.test('RFC 4180 quoting: delimiters, quotes and line breaks inside a cell', async (t) => {
  // A bare LF or CR (a vendor's multi-line location name) is quoted as CRLF is: unquoted, it would end the
  // record early for every reader.
  const cells = ['a,b', 'say "hi"', 'line\nbreak', 'cr\rmid', 'cr\r\nlf']
  const encoded = csvRows([cells])
  t.equal(encoded, '"a,b","say ""hi""","line\nbreak","cr\rmid","cr\r\nlf"\r\n')
  t.same(readBack(encoded), [cells])
})

t.test('no rows, no text', async (t) => {
  t.equal(csvRows([]), '')
  t.equal(csvDays([]), '')
})

t.test('days read back cell for cell: a row per segment, a segment-less day as one row', async (t) => {
  const days = [feishuDay, dingtalkDay, emptyDay, formulaDay]
  const text = csvHeader(true) + csvDays(days)
  t.ok(text.endsWith('\r\n'))
  t.equal(text.split('\r\n').length - 1, 1 + 2 + 1 + 1 + 1, 'header + 2 + 1 + 1 + 1 rows')
  const records: Record<string, string>[] = parse(text, { bom: true, columns: true })
  t.same(
    records,
    days.flatMap(expectedRows).map(expectedCsvRow),
    'every cell: empty for null, true/false, neutralized formulas',
  )
  const empty = records.find((record) => record.userId === 'ou_2')
  t.equal(empty?.segment, '')
  t.equal(empty?.checkIn_result, '')
  t.equal(empty?.checkOut_method, '')
  const formula = records.find((record) => record.userId === "'@sum")
  t.equal(formula?.employeeName, "'=1+1")
  t.equal(formula?.groupId, "'-1", 'a text that looks like a negative number is still text: neutralized')
  t.equal(formula?.shiftId, "'+9")
  t.equal(formula?.checkOut_resultSupplement, "'\r=1")
  t.equal(records[0]?.employeeName, '孙洋', 'UTF-8 text intact')
})
