// The formats of /attendance/results over the app and its simulators: NDJSON, CSV and XLSX carry exactly
// the days of the JSON answer (read back as a client would: line by line, with a CSV parser, with exceljs);
// `format` or the Accept header chooses, 406 when neither can be served; CSV and XLSX are sent only when
// complete (else 502) and leave no temporary file behind, whatever happens to the query.
import { readdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { parse } from 'csv-parse/sync'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { SourceReport } from '../../src/schemas/source-report.js'
import { until } from '../faults/helpers.js'
import {
  expectedCsvRow,
  expectedRows,
  expectedXlsxRow,
  SPEC_COLUMNS,
  type XlsxValue,
} from '../formats/expected-rows.js'
import { loadWorkbook, rowValues, sheet, sheetRecords } from '../formats/read-workbook.js'
import { sourcesFor, startSimulators, userList } from '../helpers/integration.js'
import { buildTestApp } from '../helpers/test-app.js'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const FROM = '2024-05-03'
const TO = '2024-05-10'
// Feishu users (Chinese names, overtime segments) and DingTalk users, two of them with ids a spreadsheet
// would read as a formula, so that the userId column holds formula-like text.
const USERS = ['feishu:ou_a1', 'feishu:ou_b2', 'feishu:@sum', 'dingtalk:mgr01', 'dingtalk:-42']
const QUERY = `/attendance/results?from=${FROM}&to=${TO}&users=${USERS.join(',')}&overtime=true`

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

function get(app: App, extra = '', headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: QUERY + extra, headers })
}

/** Temporary files gone from the app's count and its directory (removal after sending is asynchronous). */
async function noTempFiles(app: App): Promise<void> {
  await until(
    () => app.tempFiles.count === 0 && readdirSync(app.tempFiles.directory).length === 0,
    'the temporary files to be removed',
  )
}

function ndjsonLines(response: LightMyRequestResponse): Record<string, unknown>[] {
  const text = response.payload
  if (!text.endsWith('\n')) throw new Error('an NDJSON answer ends with a newline')
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** A report without what depends on the query rather than the data (calls made, cache hits). */
const dataOf = ({ vendorCalls: _calls, cache: _cache, ...report }: SourceReport) => report

/** The Sources sheet's row for a report, as src/domain/formats/xlsx-workbook.ts documents it. */
function sourceSheetRow(report: SourceReport): Record<string, XlsxValue> {
  const text = (value: string) => (value === '' ? null : value)
  return {
    source: report.source,
    vendor: report.vendor,
    status: report.status,
    complete:
      report.status === 'ok' && report.invalidUserIds.length === 0 && report.unauthorizedUserIds.length === 0,
    vendorCalls: report.vendorCalls,
    cacheHits: report.cache.hits,
    cacheMisses: report.cache.misses,
    invalidUserIds: text(report.invalidUserIds.join(', ')),
    unauthorizedUserIds: text(report.unauthorizedUserIds.join(', ')),
    errorCode: report.error?.code ?? null,
    errorMessage: report.error?.message ?? null,
    vendorCode: report.error?.vendorCode == null ? null : String(report.error.vendorCode),
    missing: text(
      report.missing.map((part) => `${part.from}..${part.to}: ${part.userIds.join(', ')}`).join('; '),
    ),
    warnings: text(report.warnings.map((warning) => `${warning.code} ×${warning.count}`).join('; ')),
  }
}
const SOURCE_HEADER = Object.keys(
  sourceSheetRow({
    source: '',
    vendor: 'feishu',
    status: 'ok',
    vendorCalls: 0,
    invalidUserIds: [],
    unauthorizedUserIds: [],
    missing: [],
    error: null,
    warnings: [],
    cache: { hits: 0, misses: 0 },
  }),
)

t.test('NDJSON, CSV and XLSX carry the JSON answer’s days, field by field', async (t) => {
  const { app } = await buildTestApp(t)
  // The JSON answer first: it fills the result cache (demo sources keep days for hours), so every later
  // answer serves the same days, fetchedAt included, and all of them from the cache.
  const jsonResponse = await get(app)
  t.equal(jsonResponse.statusCode, 200)
  t.equal(jsonResponse.headers['content-type'], 'application/json; charset=utf-8')
  const json = jsonResponse.json<AttendanceResponse>()
  t.equal(json.complete, true)
  const days = json.results
  // Not vacuous: both vendors, overtime segments, Chinese names, formula-like ids.
  t.same([...new Set(days.map((day) => day.source))], ['dingtalk', 'feishu'])
  t.ok(
    days.some((day) => day.segments.length === 2),
    'a day with an overtime segment',
  )
  t.ok(
    days.some((day) => /^[\u4e00-\u9fff]+$/.test(day.employeeName ?? '')),
    'Chinese employee names',
  )
  t.ok(days.some((day) => day.userId === '@sum') && days.some((day) => day.userId === '-42'))
  t.ok(days.every((day) => typeof day.fetchedAt === 'string'))

  t.test('NDJSON: one day a line in the answer’s order, then the summary line', async (t) => {
    const response = await get(app, '&format=ndjson')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'application/x-ndjson; charset=utf-8')
    const lines = ndjsonLines(response)
    const summary = lines.pop()
    t.same(lines, days, 'every day, every field, in order')
    t.ok(
      lines.every((line) => !('type' in line)),
      'day lines have no type',
    )
    t.same(Object.keys(summary ?? {}), ['type', 'complete', 'sources'])
    t.equal(summary?.type, 'summary')
    t.equal(summary?.complete, true)
    const sources = summary?.sources as SourceReport[]
    t.same(sources.map(dataOf), json.sources.map(dataOf))
    t.ok(
      sources.every((report) => report.vendorCalls === 0),
      'served from the cache the JSON answer filled',
    )
  })

  t.test('CSV: the header, then a row per segment, every cell as the JSON says', async (t) => {
    const response = await get(app, '&format=csv')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(response.headers['content-disposition'], `attachment; filename="attendance_${FROM}_${TO}.csv"`)
    t.equal(Number(response.headers['content-length']), response.rawPayload.length, 'bytes, not characters')
    t.not(response.rawPayload[0], 0xef, 'no BOM unless asked')
    const text = response.rawPayload.toString('utf8')
    t.ok(text.endsWith('\r\n'), 'CRLF records')
    const [header, ...rows] = parse(text) as string[][]
    t.same(header, SPEC_COLUMNS)
    const records = rows.map((row) => Object.fromEntries(SPEC_COLUMNS.map((column, i) => [column, row[i]])))
    t.same(records, days.flatMap(expectedRows).map(expectedCsvRow), 'every cell of every row')
    // The formula-like ids, neutralized and quoted as OWASP advises; the names intact.
    t.ok(text.includes(`\r\nfeishu,feishu,"'@sum",`), 'a leading @ gets an apostrophe and quotes')
    t.ok(text.includes(`\r\ndingtalk,dingtalk,"'-42",`), 'a leading - too')
    t.ok(
      records.some(
        (record) => record.userId === "'@sum" && /^[\u4e00-\u9fff]+$/.test(record.employeeName ?? ''),
      ),
    )
  })

  t.test('XLSX: Days as the CSV’s columns with typed cells, Sources as the reports', async (t) => {
    const response = await get(app, '&format=xlsx')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], XLSX)
    t.equal(response.headers['content-disposition'], `attachment; filename="attendance_${FROM}_${TO}.xlsx"`)
    t.equal(Number(response.headers['content-length']), response.rawPayload.length)
    t.equal(response.rawPayload.subarray(0, 2).toString('latin1'), 'PK', 'a zip file')
    const workbook = await loadWorkbook(response.rawPayload)
    t.same(
      workbook.worksheets.map((worksheet) => worksheet.name),
      // The users' Summary sheet comes with the days (summaries: issue 12).
      ['Days', 'Summary', 'Sources'],
    )
    const daySheet = sheet(workbook, 'Days')
    t.same(rowValues(daySheet, 1, SPEC_COLUMNS.length), [...SPEC_COLUMNS])
    t.same(
      sheetRecords(daySheet, SPEC_COLUMNS),
      days.flatMap(expectedRows).map(expectedXlsxRow),
      'every cell of every row: texts verbatim, times as wall-clock date-times',
    )
    const checkedAt = daySheet.getRow(2).getCell(SPEC_COLUMNS.indexOf('checkIn_checkedAt') + 1)
    t.ok(checkedAt.value instanceof Date)
    t.equal(checkedAt.numFmt, 'yyyy-mm-dd hh:mm:ss')
    t.match(daySheet.views, [{ state: 'frozen', ySplit: 1 }])
    t.equal(daySheet.autoFilter, 'A1:AE1')

    // Served from the cache as the NDJSON answer was: the same reports, calls and hits included.
    const ndjson = ndjsonLines(await get(app, '&format=ndjson')).pop() as { sources: SourceReport[] }
    const sourceSheet = sheet(workbook, 'Sources')
    const count = ndjson.sources.length
    t.same(rowValues(sourceSheet, 1, SOURCE_HEADER.length), SOURCE_HEADER)
    t.same(sheetRecords(sourceSheet, SOURCE_HEADER, 1 + count), ndjson.sources.map(sourceSheetRow))
    t.same(rowValues(sourceSheet, count + 3, 2), ['from', FROM])
    t.same(rowValues(sourceSheet, count + 4, 2), ['to', TO])
    t.same(rowValues(sourceSheet, count + 5, 2), ['complete', true])
  })

  t.test('bom=true: the same CSV behind a UTF-8 byte-order mark', async (t) => {
    const plain = await get(app, '&format=csv&bom=false')
    const withBom = await get(app, '&format=csv&bom=true')
    t.equal(withBom.statusCode, 200)
    t.same([...withBom.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf])
    t.ok(withBom.rawPayload.subarray(3).equals(plain.rawPayload), 'nothing else changes')
    t.equal(Number(withBom.headers['content-length']), plain.rawPayload.length + 3)
    t.not(plain.rawPayload[0], 0xef)
  })

  t.test('POST gives the CSV GET gives', async (t) => {
    const post = await app.inject({
      method: 'POST',
      url: '/attendance/results',
      payload: { from: FROM, to: TO, users: USERS, overtime: true, format: 'csv' },
    })
    t.equal(post.statusCode, 200)
    t.ok(post.rawPayload.equals((await get(app, '&format=csv')).rawPayload))
  })

  t.test('sent files leave no temporary file', async () => {
    await noTempFiles(app)
  })
})

t.test('a range without work days: the CSV is its header, the XLSX its header rows', async (t) => {
  const { app } = await buildTestApp(t)
  const weekend = `/attendance/results?from=2024-05-04&to=2024-05-05&users=${USERS.join(',')}`
  t.same((await app.inject(weekend)).json<AttendanceResponse>().results, [], 'no day in the JSON answer')
  const csv = await app.inject(`${weekend}&format=csv`)
  t.equal(csv.statusCode, 200)
  t.equal(csv.payload, `${SPEC_COLUMNS.join(',')}\r\n`)
  const xlsx = await app.inject(`${weekend}&format=xlsx`)
  t.equal(xlsx.statusCode, 200)
  const workbook = await loadWorkbook(xlsx.rawPayload)
  t.equal(sheet(workbook, 'Days').rowCount, 1)
  // The header, two reports, a blank row, from, to, complete.
  t.same(rowValues(sheet(workbook, 'Sources'), 7, 2), ['complete', true])
  const ndjson = ndjsonLines(await app.inject(`${weekend}&format=ndjson`))
  t.equal(ndjson.length, 1, 'the summary line alone')
  t.equal(ndjson[0]?.type, 'summary')
  await noTempFiles(app)
})

t.test('the Accept header chooses when no format is given; format beats Accept', async (t) => {
  const { app } = await buildTestApp(t)
  const kind = async (response: LightMyRequestResponse): Promise<string> => {
    const type = response.headers['content-type']
    if (type === 'application/json; charset=utf-8' && 'results' in response.json()) return 'json'
    if (type === 'application/x-ndjson; charset=utf-8' && ndjsonLines(response).at(-1)?.type === 'summary')
      return 'ndjson'
    if (type === 'text/csv; charset=utf-8' && response.payload.startsWith(`${SPEC_COLUMNS.join(',')}\r\n`))
      return 'csv'
    if (type === XLSX && (await loadWorkbook(response.rawPayload)).getWorksheet('Days')) return 'xlsx'
    return `unexpected ${response.statusCode} ${type}`
  }
  for (const [accept, format] of [
    ['application/json', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['text/csv', 'csv'],
    [XLSX, 'xlsx'],
    ['*/*', 'json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'json'],
    ['text/csv;q=0.4, application/x-ndjson;q=0.8', 'ndjson'],
    [`application/json;q=0.5, ${XLSX}`, 'xlsx'],
    // q=0 means "not acceptable" (RFC 9110 §12.5.1): the wildcard allows the rest, in the route's order.
    ['application/json;q=0, */*;q=0.5', 'ndjson'],
    ['application/json;q=0, application/x-ndjson;q=0, */*;q=0.5', 'csv'],
  ] as const) {
    const response = await get(app, '', { accept })
    t.equal(response.statusCode, 200, accept)
    t.equal(await kind(response), format, `Accept: ${accept}`)
  }
  for (const [accept, format] of [
    ['application/x-ndjson', 'csv'],
    ['text/csv', 'json'],
    ['text/csv', 'ndjson'],
    ['text/html', 'xlsx'],
    ['image/png', 'csv'],
  ] as const) {
    const response = await get(app, `&format=${format}`, { accept })
    t.equal(response.statusCode, 200, `format=${format}, Accept: ${accept}`)
    t.equal(await kind(response), format, `format=${format} beats Accept: ${accept}`)
  }
  const post = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    headers: { accept: 'text/csv' },
    payload: { from: FROM, to: TO, users: USERS },
  })
  t.equal(await kind(post), 'csv', 'POST honours Accept too')
  await noTempFiles(app)
})

t.test('an Accept the route cannot serve: 406 in the error shape, nothing run', async (t) => {
  const { app } = await buildTestApp(t)
  for (const request of [
    { method: 'GET' as const, url: QUERY, headers: { accept: 'text/html' } },
    { method: 'GET' as const, url: QUERY, headers: { accept: 'text/csv;q=0, image/*' } },
    {
      method: 'GET' as const,
      url: QUERY,
      headers: { accept: `application/json;q=0, application/x-ndjson;q=0, text/*;q=0, ${XLSX};q=0, */*` },
    },
    {
      method: 'POST' as const,
      url: '/attendance/results',
      headers: { accept: 'image/png' },
      payload: { from: FROM, to: TO, users: USERS },
    },
  ]) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 406, request.headers.accept)
    t.match(response.headers['content-type'], /^application\/json/)
    const body = response.json<Record<string, unknown>>()
    t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'])
    t.equal(body.statusCode, 406)
    t.equal(body.code, 'ATT_NOT_ACCEPTABLE')
    t.equal(body.error, 'Not Acceptable')
    t.ok(String(body.message).includes(`"${request.headers.accept}"`), 'names the Accept header')
    t.match(body.message, /text\/csv/, 'and what the route serves')
    t.match(body.message, /format=/)
  }
  t.equal(app.tempFiles.count, 0)
})

t.test('an incomplete result: CSV and XLSX get 502 naming the source and leave no file', async (t) => {
  const simulators = await startSimulators(t)
  // DingTalk refuses the app's credentials: its source fails at once, Feishu answers.
  const sources = sourcesFor(simulators, { dingtalk: { appSecret: 'not-the-secret' } })
  const { app } = await buildTestApp(t, { sources })
  const users = 'feishu:ou_a1,dingtalk:mgr01'
  const url = `/attendance/results?from=${FROM}&to=${TO}&users=${users}`

  const json = (await app.inject(url)).json<AttendanceResponse>()
  t.equal(json.complete, false, 'the JSON answer says what failed')
  t.same(
    json.sources.map(({ source, status }) => ({ source, status })),
    [
      { source: 'dingtalk', status: 'error' },
      { source: 'feishu', status: 'ok' },
    ],
  )

  for (const format of ['csv', 'xlsx'] as const) {
    const response = await app.inject(`${url}&format=${format}`)
    t.equal(response.statusCode, 502, format)
    t.match(response.headers['content-type'], /^application\/json/)
    t.notOk(response.headers['content-disposition'], 'no file is offered')
    t.same(response.json(), {
      statusCode: 502,
      code: 'ATT_INCOMPLETE_RESULT',
      error: 'Bad Gateway',
      message: `the result is not complete: sources not ok: dingtalk (a ${format.toUpperCase()} answer is sent only when complete)`,
    })
    // Removed before the 502 is sent, not some time later.
    t.equal(app.tempFiles.count, 0, `${format}: no temporary file counted`)
    t.same(readdirSync(app.tempFiles.directory), [], `${format}: the temporary directory is empty`)
  }

  const strict = await app.inject(`${url}&format=ndjson&strict=true`)
  t.equal(strict.statusCode, 502, 'strict NDJSON is built whole, then refused')
  t.match(strict.json<{ message: string }>().message, /sources not ok: dingtalk \(strict=true\)/)
  t.same(readdirSync(app.tempFiles.directory), [])

  const invalid = await app.inject(
    `/attendance/results?from=${FROM}&to=${TO}&users=feishu:ou_a1,feishu:invalid_x&format=csv`,
  )
  t.equal(invalid.statusCode, 502, 'a user the vendor does not know makes the answer incomplete too')
  t.match(invalid.json<{ message: string }>().message, /some users were invalid or unauthorized/)
  t.equal(app.tempFiles.count, 0)

  const whole = await app.inject(`/attendance/results?from=${FROM}&to=${TO}&users=feishu:ou_a1&format=csv`)
  t.equal(whole.statusCode, 200, 'the sources that work still give a CSV (the 502 is about the failure)')
  await noTempFiles(app)
})

t.test('NDJSON of an incomplete result is streamed and still ends with its summary', async (t) => {
  const simulators = await startSimulators(t)
  const sources = sourcesFor(simulators, { dingtalk: { appSecret: 'not-the-secret' } })
  const { app } = await buildTestApp(t, { sources })
  const response = await app.inject(
    `/attendance/results?from=${FROM}&to=${TO}&users=feishu:ou_a1,dingtalk:mgr01&format=ndjson`,
  )
  t.equal(response.statusCode, 200)
  const lines = ndjsonLines(response)
  const summary = lines.pop() as { type: string; complete: boolean; sources: SourceReport[] }
  t.equal(summary.type, 'summary')
  t.equal(summary.complete, false, 'the summary is where NDJSON says it is incomplete')
  t.same(
    summary.sources.map(({ source, status }) => ({ source, status })),
    [
      { source: 'dingtalk', status: 'error' },
      { source: 'feishu', status: 'ok' },
    ],
  )
  t.ok(lines.length > 0 && lines.every((line) => line.source === 'feishu'), 'the days that were fetched')
})

t.test('a client that goes away during a CSV query leaves no temporary file', async (t) => {
  // Slow vendors, one call at a time: the query runs for seconds, long enough to leave in the middle.
  const simulators = await startSimulators(t, {
    feishu: { latencyMs: 300, rateLimitPerSecond: 10_000 },
    dingtalk: { latencyMs: 300, rateLimitPerSecond: 10_000 },
  })
  const sources = sourcesFor(simulators, {
    feishu: { maxConcurrency: 1, rateLimitPerSecond: 500 },
    dingtalk: { maxConcurrency: 1, rateLimitPerSecond: 500 },
  })
  const { app } = await buildTestApp(t, { sources })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const directory = app.tempFiles.directory

  let responded = false
  const request = http.request({
    host: '127.0.0.1',
    port,
    path: '/attendance/results',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  request.on('response', () => {
    responded = true
  })
  request.on('error', () => {})
  // Also when an assertion below fails: a query left running would hold app.close() for minutes.
  t.teardown(() => request.destroy())
  request.end(
    JSON.stringify({
      from: '2024-05-06',
      to: '2024-06-30',
      users: [...userList('feishu', 120), ...userList('dingtalk', 10)],
      format: 'csv',
    }),
  )
  await until(
    () => readdirSync(directory).length === 1 && simulators.feishu.counters().dataCalls >= 1,
    'the answer file to be written while the vendors are called',
  )
  t.equal(app.tempFiles.count, 1)
  request.destroy()
  await until(
    () => app.tempFiles.count === 0 && readdirSync(directory).length === 0,
    'the answer file to be removed after the client left',
  )
  t.pass('the file is gone')
  t.notOk(responded, 'nothing was sent: the CSV was not complete')
})
