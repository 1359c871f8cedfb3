// The service as a new user meets it through its OpenAPI document: a client generated from the document
// (openapi-typescript types, openapi-fetch calls: attendance-client.ts) against the service listening on a
// port, with the vendor simulators behind it and Redis under it. No cast, no non-null assertion and no
// type argument at a call: `npm run typecheck` compiles this file against the generated types, so a
// document that drifts from what a client needs breaks the type check, and the run below breaks when the
// service answers other than the types say.
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import type { Client, MethodResponse } from 'openapi-fetch'
import t from 'tap'
import { apiKey } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { type AttendanceClient, createAttendanceClient } from './attendance-client.js'
import type { paths } from './openapi.js'

const KEY = 'typed-client-key-5b0e97c3'
const FROM = '2024-05-06'
const TO = '2024-05-10'
const USERS = ['feishu:u1', 'dingtalk:d1']
const WORK_DATES = ['2024-05-06', '2024-05-07', '2024-05-08', '2024-05-09', '2024-05-10']

const simulators = await startSimulators(t)
// DingTalk's days are cached: the change feed lists a day that a refetch finds different from its cached
// version (Feishu's are not, so every query reaches the simulator).
const sources = sourcesFor(simulators, { dingtalk: { cacheTtlSeconds: 21_600 } })
const { app } = await startReplica(t, sources, {
  config: {
    apiKeys: [apiKey('typed-client', KEY)],
    people: [
      {
        id: 'E1',
        name: 'Typed Client',
        accounts: [
          { source: 'feishu', userId: 'u1' },
          { source: 'dingtalk', userId: 'd1' },
        ],
      },
    ],
  },
})
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
if (address === null || typeof address === 'string') throw new Error(`not listening on a port: ${address}`)
const client = createAttendanceClient({ baseUrl: `http://127.0.0.1:${address.port}`, apiKey: KEY })

// ---------------------------------------------------------------------------------------------------------
// What the types say, checked by `npm run typecheck` (the assertions below only repeat it at run time).

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type ResultsJson = paths['/attendance/results']['get']['responses'][200]['content']['application/json']
type SummariesJson = paths['/attendance/summaries']['get']['responses'][200]['content']['application/json']
type Day = ResultsJson['results'][number]
type ResultsBody = paths['/attendance/results']['post']['requestBody']['content']['application/json']

t.test('a default openapi-fetch client unions the media types; the JSON client has JSON types', async (t) => {
  // createClient<paths>() (Media = any type/subtype): every media type of the 200 in `data`, whatever order.
  const defaultResults: Equal<
    MethodResponse<Client<paths>, 'get', '/attendance/results'>,
    ResultsJson | string
  > = true
  const defaultSummaries: Equal<
    MethodResponse<Client<paths>, 'post', '/attendance/summaries'>,
    SummariesJson | string
  > = true
  const defaultFile: Equal<
    MethodResponse<Client<paths>, 'get', '/attendance/exports/{id}/file'>,
    ResultsJson | SummariesJson | string
  > = true
  // The client of attendance-client.ts (Media = JSON): what a call without `parseAs` can receive.
  const jsonResults: Equal<MethodResponse<AttendanceClient, 'get', '/attendance/results'>, ResultsJson> = true
  const jsonSummaries: Equal<
    MethodResponse<AttendanceClient, 'post', '/attendance/summaries'>,
    SummariesJson
  > = true
  // With `parseAs: 'text'` (CSV, NDJSON) the data is the text, on either client.
  const csvText: Equal<
    MethodResponse<AttendanceClient, 'get', '/attendance/results', { parseAs: 'text' }>,
    string
  > = true
  // openapi-fetch 0.17 infers `parseAs` only when the call's options infer whole: a body literal with a
  // string-enum field (`format: 'csv'`) does not, and the data is typed JSON although it is text. A
  // function never called, for its type only.
  const inlineCsvBody = () =>
    client.POST('/attendance/results', {
      body: { from: FROM, to: TO, users: USERS, format: 'csv' },
      parseAs: 'text',
    })
  const inlineBodyLosesParseAs: Equal<
    Awaited<ReturnType<typeof inlineCsvBody>>['data'],
    ResultsJson | undefined
  > = true
  t.same(
    [
      defaultResults,
      defaultSummaries,
      defaultFile,
      jsonResults,
      jsonSummaries,
      csvText,
      inlineBodyLosesParseAs,
    ],
    [true, true, true, true, true, true, true],
  )
})

// ---------------------------------------------------------------------------------------------------------
// Against the service. The tests run in order: the plan before and after the first query, the change
// feed last (it changes a day at the simulator).

/** The check columns of the CSV, in the order the README gives. */
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
]
const CSV_HEADER = [
  ...['source', 'vendor', 'userId', 'employeeName', 'workDate', 'timezone', 'groupId', 'shiftId'],
  ...['segment', 'overtime'],
  ...CHECK_FIELDS.map((field) => `checkIn_${field}`),
  ...CHECK_FIELDS.map((field) => `checkOut_${field}`),
  'fetchedAt',
]

/** What the CSV must say of each segment of the JSON days: a few columns, as CSV cells (null is empty). */
function segmentCells(days: Day[]): string[][] {
  const cell = (value: string | number | boolean | null | undefined) =>
    value === null || value === undefined ? '' : String(value)
  return days.flatMap((day) =>
    day.segments.map((segment, index) => [
      `${day.source}:${day.userId}`,
      day.workDate,
      cell(index + 1),
      cell(segment.overtime),
      cell(segment.checkIn?.result),
      cell(segment.checkIn?.checkedAt),
      cell(segment.checkOut?.result),
      cell(segment.checkOut?.checkedAt),
    ]),
  )
}

/** The same columns read from a CSV text (header row first). */
function csvSegmentCells(text: string): string[][] {
  const [header, ...rows] = parse(text)
  if (!header) throw new Error('a CSV without a header row')
  const cell = (row: string[], name: string) => row[header.indexOf(name)] ?? `<no ${name} column>`
  const columns = ['workDate', 'segment', 'overtime', 'checkIn_result', 'checkIn_checkedAt']
  columns.push('checkOut_result', 'checkOut_checkedAt')
  return rows.map((row) => [
    `${cell(row, 'source')}:${cell(row, 'userId')}`,
    ...columns.map((name) => cell(row, name)),
  ])
}

/** Every column but fetchedAt (which differs between two fetches of the same day). */
function withoutFetchedAt(text: string): string[][] {
  const [header, ...rows] = parse(text)
  const at = header?.indexOf('fetchedAt') ?? -1
  return [header ?? [], ...rows].map((row) => row.filter((_, index) => index !== at))
}

const sha256 = (bytes: Uint8Array, encoding: 'hex' | 'base64') =>
  createHash('sha256').update(bytes).digest(encoding)

/** Polls the export job until it has finished. */
async function finishedJob(id: string) {
  const deadline = Date.now() + 120_000 // a guard against a job that never ends, not a time measured
  for (;;) {
    const { data, error } = await client.GET('/attendance/exports/{id}', { params: { path: { id } } })
    if (error) throw new Error(`GET /attendance/exports/${id}: ${JSON.stringify(error)}`)
    if (data.status !== 'queued' && data.status !== 'running') return data
    if (Date.now() > deadline) throw new Error(`export ${id} still ${data.status}`)
    await sleep(50)
  }
}

let jsonDays: Day[] = []

t.test('sources: the configured sources, with no credentials', async (t) => {
  const { data, error } = await client.GET('/sources')
  if (error) throw new Error(JSON.stringify(error))
  t.same(
    data.sources.map((source) => [source.id, source.vendor, source.baseUrl]),
    [
      ['feishu', 'feishu', simulators.feishu.url],
      ['dingtalk', 'dingtalk', simulators.dingtalk.url],
    ],
  )
  t.same(
    data.sources.map((source) => source.cache.ttlSeconds),
    [0, 21_600],
  )
  const text = JSON.stringify(data)
  t.notOk(text.includes(simulators.feishu.credentials.appSecret), 'no Feishu secret')
  t.notOk(text.includes(simulators.dingtalk.credentials.appSecret), 'no DingTalk secret')
})

t.test('people: the configured people and their accounts', async (t) => {
  const { data, error } = await client.GET('/people')
  if (error) throw new Error(JSON.stringify(error))
  t.same(data.people, [{ id: 'E1', name: 'Typed Client', accounts: ['feishu:u1', 'dingtalk:d1'] }])
})

t.test('plan before any query: every user-day to fetch', async (t) => {
  const { data, error } = await client.GET('/attendance/plan', {
    params: { query: { from: FROM, to: TO, users: USERS.join(',') } },
  })
  if (error) throw new Error(JSON.stringify(error))
  t.same([data.from, data.to], [FROM, TO])
  t.same(
    data.sources.map((source) => [source.source, source.userDays, source.cached, source.toFetch]),
    [
      ['dingtalk', WORK_DATES.length, 0, WORK_DATES.length],
      ['feishu', WORK_DATES.length, 0, WORK_DATES.length],
    ],
  )
  for (const source of data.sources) t.ok(source.plannedCalls >= 1, `${source.source} plans a call`)
})

t.test('results in JSON: the days of each user, with their fields', async (t) => {
  const { data, error, response } = await client.GET('/attendance/results', {
    params: { query: { from: FROM, to: TO, users: USERS.join(',') } },
  })
  if (error) throw new Error(JSON.stringify(error))
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.same([data.from, data.to, data.complete], [FROM, TO, true])
  const reports = data.sources.map((source) => [source.source, source.status, source.error])
  t.same(
    reports.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ['dingtalk', 'ok', null],
      ['feishu', 'ok', null],
    ],
  )
  const keys = data.results.map((day) => `${day.source}:${day.userId}:${day.workDate}`)
  t.same(keys, [...keys].sort(), 'by source, userId and work date')
  for (const day of data.results) {
    t.ok(USERS.includes(`${day.source}:${day.userId}`), `${day.source}:${day.userId} was asked for`)
    t.equal(day.vendor, day.source, 'each source is its vendor here')
    t.ok(WORK_DATES.includes(day.workDate), `${day.workDate} is in the range`)
    t.equal(day.person, 'E1', 'both accounts are E1')
    t.ok(day.segments.length > 0, `${day.userId} ${day.workDate} has segments`)
    t.match(day.fetchedAt, /^\d{4}-\d{2}-\d{2}T/)
  }
  t.same(
    [...new Set(data.results.map((day) => `${day.source}:${day.userId}`))].sort(),
    [...USERS].sort(),
    'days for both users',
  )
  jsonDays = data.results
})

t.test('plan after the query: the cached source has nothing left to fetch', async (t) => {
  const { data, error } = await client.POST('/attendance/plan', {
    body: { from: FROM, to: TO, users: USERS },
  })
  if (error) throw new Error(JSON.stringify(error))
  t.same(
    data.sources.map((source) => [source.source, source.cached, source.toFetch]),
    [
      ['dingtalk', WORK_DATES.length, 0],
      ['feishu', 0, WORK_DATES.length],
    ],
  )
  t.same(
    data.sources.map((source) => [source.source, source.plannedCalls > 0]),
    [
      ['dingtalk', false],
      ['feishu', true],
    ],
    'calls only where days are to fetch',
  )
})

t.test('results in CSV: the header row, and a row per segment of the JSON days', async (t) => {
  const { data, error, response } = await client.GET('/attendance/results', {
    params: { query: { from: FROM, to: TO, users: USERS.join(','), format: 'csv' } },
    parseAs: 'text',
  })
  if (error) throw new Error(JSON.stringify(error))
  t.match(response.headers.get('content-type'), /^text\/csv/)
  t.equal(response.headers.get('content-disposition'), `attachment; filename="attendance_${FROM}_${TO}.csv"`)
  t.ok(data.startsWith(`${CSV_HEADER.join(',')}\r\n`), 'the header row, CRLF')
  t.same(csvSegmentCells(data), segmentCells(jsonDays))
})

t.test('results in CSV by POST: the body declared with its generated type', async (t) => {
  // Declared apart with its type (an annotation, not a cast): written inline, a body with a `format`
  // literal makes openapi-fetch 0.17 lose `parseAs` from the type (see the first test).
  const body: ResultsBody = { from: FROM, to: TO, users: USERS, format: 'csv' }
  const { data, error } = await client.POST('/attendance/results', { body, parseAs: 'text' })
  if (error) throw new Error(JSON.stringify(error))
  t.ok(data.startsWith(`${CSV_HEADER.join(',')}\r\n`), 'the header row, CRLF')
  t.same(csvSegmentCells(data), segmentCells(jsonDays))
})

t.test('summaries in JSON: the counts of the days, per user and per person', async (t) => {
  const { data, error } = await client.GET('/attendance/summaries', {
    params: { query: { from: FROM, to: TO, users: USERS.join(','), groupBy: 'person' } },
  })
  if (error) throw new Error(JSON.stringify(error))
  t.same([data.from, data.to, data.complete], [FROM, TO, true])
  t.same(
    data.summaries.map((summary) => `${summary.source}:${summary.userId}`),
    ['dingtalk:d1', 'feishu:u1'],
    'one summary per user, by source then userId',
  )
  for (const summary of data.summaries) {
    const days = jsonDays.filter((day) => day.source === summary.source && day.userId === summary.userId)
    const regular = days.flatMap((day) => day.segments.filter((segment) => !segment.overtime))
    const checks = regular.flatMap((segment) => [segment.checkIn, segment.checkOut])
    const counted = Object.fromEntries(Object.keys(summary.checks).map((result) => [result, 0]))
    for (const check of checks) if (check) counted[check.result] = (counted[check.result] ?? 0) + 1
    t.equal(summary.days, days.length, `${summary.userId}: days`)
    t.same(summary.checks, counted, `${summary.userId}: checks by result`)
    t.equal(summary.missingChecks, counted.missing, `${summary.userId}: missing checks`)
    t.equal(summary.person, 'E1')
  }
  t.same(
    data.people?.map((person) => [person.person, person.name, [...person.accounts].sort(), person.days]),
    [['E1', 'Typed Client', ['dingtalk:d1', 'feishu:u1'], jsonDays.length]],
  )
})

t.test('an export in CSV: created, polled until it succeeded, downloaded and verified', async (t) => {
  const created = await client.POST('/attendance/exports', {
    body: { from: FROM, to: TO, users: USERS, format: 'csv' },
  })
  if (created.error) throw new Error(JSON.stringify(created.error))
  t.equal(created.response.status, 202)
  t.equal(created.response.headers.get('location'), `/attendance/exports/${created.data.id}`)
  t.same([created.data.format, created.data.report, created.data.userCount], ['csv', 'days', 2])

  const job = await finishedJob(created.data.id)
  t.same([job.status, job.complete, job.error], ['succeeded', true, null])
  if (!job.file) throw new Error('a succeeded job without a file')
  t.equal(job.file.name, `attendance_${FROM}_${TO}.csv`)

  const { data, error, response } = await client.GET('/attendance/exports/{id}/file', {
    params: { path: { id: job.id } },
    parseAs: 'arrayBuffer',
  })
  if (error) throw new Error(JSON.stringify(error))
  const bytes = new Uint8Array(data)
  t.equal(bytes.byteLength, job.file.bytes, 'the size the job gives')
  const hex = sha256(bytes, 'hex')
  t.equal(hex, job.file.sha256, 'the SHA-256 the job gives')
  t.equal(response.headers.get('etag'), `"${hex}"`)
  t.equal(response.headers.get('repr-digest'), `sha-256=:${sha256(bytes, 'base64')}:`)
  t.equal(response.headers.get('content-disposition'), `attachment; filename="${job.file.name}"`)

  const text = new TextDecoder().decode(bytes)
  const direct = await client.GET('/attendance/results', {
    params: { query: { from: FROM, to: TO, users: USERS.join(','), format: 'csv' } },
    parseAs: 'text',
  })
  if (direct.error) throw new Error(JSON.stringify(direct.error))
  t.same(withoutFetchedAt(text), withoutFetchedAt(direct.data), "the query's CSV, fetch times aside")
  t.same(csvSegmentCells(text), segmentCells(jsonDays))
})

t.test('an export in JSON: the file is the JSON answer, typed as one', async (t) => {
  const created = await client.POST('/attendance/exports', {
    body: { from: FROM, to: TO, users: USERS, format: 'json' },
  })
  if (created.error) throw new Error(JSON.stringify(created.error))
  const job = await finishedJob(created.data.id)
  t.equal(job.status, 'succeeded')
  const { data, error, response } = await client.GET('/attendance/exports/{id}/file', {
    params: { path: { id: job.id } },
  })
  if (error) throw new Error(JSON.stringify(error))
  t.match(response.headers.get('content-type'), /^application\/json/)
  // The file of an export of days or of summaries: the days here.
  if (!('results' in data)) throw new Error(`not an answer of days: ${JSON.stringify(data)}`)
  t.same([data.from, data.to, data.complete], [FROM, TO, true])
  t.same(
    data.results.map((day) => [day.source, day.userId, day.workDate, day.segments]),
    jsonDays.map((day) => [day.source, day.userId, day.workDate, day.segments]),
  )
})

t.test('changes: a refetch that finds a day changed is in the feed', async (t) => {
  const before = await client.GET('/attendance/changes', { params: { query: { source: 'dingtalk' } } })
  if (before.error) throw new Error(JSON.stringify(before.error))
  t.same(before.data.changes, [], 'the first fetches changed nothing')

  const day = jsonDays.find((candidate) => candidate.source === 'dingtalk')
  if (!day) throw new Error('no DingTalk day to change')
  simulators.dingtalk.setDay(day.userId, day.workDate, { checks: { OffDuty: { timeResult: 'NotSigned' } } })
  const refetched = await client.GET('/attendance/results', {
    params: { query: { from: day.workDate, to: day.workDate, users: `dingtalk:${day.userId}`, maxAge: 0 } },
  })
  if (refetched.error) throw new Error(JSON.stringify(refetched.error))
  t.equal(
    refetched.data.results[0]?.segments.at(-1)?.checkOut?.result,
    'missing',
    'the changed day came back',
  )

  const after = await client.GET('/attendance/changes', {
    params: { query: { source: 'dingtalk', since: before.data.next } },
  })
  if (after.error) throw new Error(JSON.stringify(after.error))
  t.same(
    after.data.changes.map((change) => [change.source, change.userId, change.workDate, change.reason]),
    [['dingtalk', day.userId, day.workDate, 'refetch']],
  )
  t.not(after.data.next, before.data.next, 'a new cursor')
})
