// /attendance/summaries over the app and its demo simulators: every UserSummary field is worked out here,
// from the definitions, out of the days /attendance/results returns for the same query, and must
// equal what the endpoint answers (GET and POST, `month` and from/to alike); a person with a Feishu and a
// DingTalk account is expanded, labelled and summed; a user whose days are in a missing block is
// incomplete; and the NDJSON, CSV and XLSX answers and a `report: "summary"` export carry the same numbers.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { readPeopleFile } from '../../src/config/people-config.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { CHECK_RESULTS, type Check, type DayResult } from '../../src/schemas/day-result.js'
import type { ExportJob } from '../../src/schemas/export.js'
import type { SourceReport } from '../../src/schemas/source-report.js'
import { sleep } from '../faults/helpers.js'
import { loadWorkbook, rowValues, sheet, sheetRecords } from '../formats/read-workbook.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const MONTH = '2024-05'
const FROM = '2024-05-01'
const TO = '2024-05-31'

const ALL = 'summaries-all-key-0123456789abcdef'
const FEISHU_ONLY = 'summaries-feishu-key-0123456789ab'
const API_KEYS = [apiKey('all', ALL), apiKey('feishu-only', FEISHU_ONLY, { sources: ['feishu'] })]

/** E1 moved from the DingTalk subsidiary to the Feishu head office; E2 has one account; E3 is never asked. */
const PEOPLE = {
  people: [
    { id: 'E1', name: '调动 Transfer', accounts: ['feishu:ou_e1', 'dingtalk:e1d'] },
    { id: 'E2', accounts: ['dingtalk:d1'] },
    { id: 'E3', name: 'Not asked', accounts: ['feishu:nobody'] },
  ],
}
const PERSON_OF = new Map(PEOPLE.people.flatMap((person) => person.accounts.map((a) => [a, person.id])))
const NAME_OF = new Map(PEOPLE.people.map((person) => [person.id, person.name ?? null]))

const FEISHU_USERS = ['feishu:ou_a1', 'feishu:ou_b2', 'feishu:u1', 'feishu:ou_e1']
const DINGTALK_USERS = ['dingtalk:mgr01', 'dingtalk:d1', 'dingtalk:e1d']
const USERS = [...FEISHU_USERS, ...DINGTALK_USERS]

type App = Awaited<ReturnType<typeof buildTestApp>>['app']
type Totals = Record<string, unknown>
interface Summary extends Totals {
  source: string
  vendor: string
  userId: string
  employeeName: string | null
  person: string | null
  complete: boolean
}
interface PersonRow extends Totals {
  person: string
  name: string | null
  accounts: string[]
  complete: boolean
}
interface SummariesAnswer {
  from: string
  to: string
  summaries: Summary[]
  complete: boolean
  sources: SourceReport[]
  people?: PersonRow[]
}

// ---------------------------------------------------------------------------------------------------------
// The oracle: issue 12's definitions, worked out here from the days (not with src/summaries).

const LATE_RESULTS = new Set(['late', 'serious_late', 'absenteeism_late'])

/** Seconds from `from` to `to`, 0 when either is missing or `to` is earlier. */
function span(from: string | null | undefined, to: string | null | undefined): number {
  if (!from || !to) return 0
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000))
}

function totalsFromDays(days: readonly DayResult[]): Totals {
  const checks: Record<string, number> = Object.fromEntries(CHECK_RESULTS.map((result) => [result, 0]))
  const late = { count: 0, seconds: 0 }
  const earlyLeave = { count: 0, seconds: 0 }
  const overtime = { segments: 0, seconds: 0 }
  let workDays = 0
  let missingChecks = 0
  let absentDays = 0
  let workedSeconds = 0
  for (const day of days) {
    const regular = day.segments.filter((segment) => segment.overtime === false)
    if (regular.length > 0) workDays++
    const regularChecks = regular
      .flatMap((segment) => [segment.checkIn, segment.checkOut])
      .filter((check): check is Check => check !== null)
    for (const check of regularChecks) checks[check.result] = (checks[check.result] ?? 0) + 1
    const missing = regularChecks.filter((check) => check.result === 'missing').length
    missingChecks += missing
    if (regularChecks.length > 0 && missing === regularChecks.length) absentDays++
    for (const { checkIn, checkOut } of regular) {
      if (checkIn && LATE_RESULTS.has(checkIn.result)) {
        late.count++
        if (checkIn.checkedAt) late.seconds += span(checkIn.scheduledAt, checkIn.checkedAt)
      }
      if (checkOut && checkOut.result === 'early') {
        earlyLeave.count++
        if (checkOut.checkedAt) earlyLeave.seconds += span(checkOut.checkedAt, checkOut.scheduledAt)
      }
      if (checkIn?.checkedAt && checkOut?.checkedAt)
        workedSeconds += span(checkIn.checkedAt, checkOut.checkedAt)
    }
    for (const { overtime: isOvertime, checkIn, checkOut } of day.segments) {
      if (!isOvertime || !checkOut?.checkedAt) continue
      overtime.segments++
      overtime.seconds += span(checkIn?.checkedAt ?? checkIn?.scheduledAt, checkOut.checkedAt)
    }
  }
  return {
    days: days.length,
    workDays,
    checks,
    late,
    earlyLeave,
    missingChecks,
    absentDays,
    workedSeconds,
    overtime,
  }
}

const bySourceThenUser = (a: string, b: string) => {
  const [sa = '', ua = ''] = a.split(':')
  const [sb = '', ub = ''] = b.split(':')
  return sa < sb ? -1 : sa > sb ? 1 : ua < ub ? -1 : ua > ub ? 1 : 0
}

/** A summary per user of `users` (source:userId), out of the days and reports of `/attendance/results`. */
function expectedSummaries(answer: AttendanceResponse, users: readonly string[]): Summary[] {
  return [...new Set(users)].sort(bySourceThenUser).map((user) => {
    const [source = '', userId = ''] = user.split(':')
    const days = answer.results
      .filter((day) => day.source === source && day.userId === userId)
      .sort((a, b) => (a.workDate < b.workDate ? -1 : 1))
    const report = answer.sources.find((candidate) => candidate.source === source)
    if (!report) throw new Error(`no report for ${source}`)
    const incomplete =
      report.missing.some((part) => part.userIds.includes(userId)) ||
      report.invalidUserIds.includes(userId) ||
      report.unauthorizedUserIds.includes(userId)
    return {
      source,
      vendor: report.vendor,
      userId,
      employeeName:
        days
          .map((day) => day.employeeName)
          .filter((name) => name !== null)
          .at(-1) ?? null,
      person: PERSON_OF.get(user) ?? null,
      ...totalsFromDays(days),
      complete: !incomplete,
    }
  })
}

/** Adds the numbers of `more` into `sum`, field by field, nested fields too. */
function addNumbers(sum: Totals, more: Totals): Totals {
  for (const [key, value] of Object.entries(more)) {
    if (typeof value === 'number') sum[key] = ((sum[key] as number | undefined) ?? 0) + value
    else sum[key] = addNumbers({ ...((sum[key] as Totals | undefined) ?? {}) }, value as Totals)
  }
  return sum
}

const TOTAL_FIELDS = Object.keys(totalsFromDays([]))
const totalsOf = (summary: Totals): Totals =>
  Object.fromEntries(TOTAL_FIELDS.map((field) => [field, summary[field]]))

/** One row per person among `summaries`, in person id order, their totals summed. */
function expectedPeople(summaries: readonly Summary[]): PersonRow[] {
  const ids = [
    ...new Set(summaries.flatMap((summary) => (summary.person === null ? [] : [summary.person]))),
  ].sort()
  return ids.map((id) => {
    const mine = summaries.filter((summary) => summary.person === id)
    return {
      person: id,
      name: NAME_OF.get(id) ?? null,
      accounts: mine.map((summary) => `${summary.source}:${summary.userId}`),
      ...mine.reduce((sum, summary) => addNumbers(sum, totalsOf(summary)), totalsOf(totalsFromDays([]))),
      complete: mine.every((summary) => summary.complete),
    }
  })
}

/** A nested record as one flat row: `late.count` → `late_count`, as the CSV and the sheets name them. */
function flatten(record: Totals, prefix = ''): [string, unknown][] {
  return Object.entries(record).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? flatten(value as Totals, `${prefix}${key}_`)
      : [[`${prefix}${key}`, Array.isArray(value) ? value.join(' ') : value] as [string, unknown]],
  )
}
const csvCell = (value: unknown) => (value === null ? '' : String(value))

// ---------------------------------------------------------------------------------------------------------
// The app, the simulators' day controls, requests.

function peopleFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'people-')), 'people.json')
  writeFileSync(path, JSON.stringify(content))
  return path
}

async function setUp(t: Test) {
  const path = peopleFile(PEOPLE)
  // loadConfig reads PEOPLE_FILE into `people`; testConfig takes the config as given, so read it here.
  const { app } = await buildTestApp(t, { peopleFile: path, people: readPeopleFile(path), apiKeys: API_KEYS })
  const simulator = (id: string) => {
    const source = app.config.sources.find((candidate) => candidate.id === id)
    if (!source) throw new Error(`no source ${id}`)
    return source.baseUrl
  }
  return { app, feishu: simulator('feishu'), dingtalk: simulator('dingtalk') }
}

async function admin(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as Record<string, unknown>
}

const epochSeconds = (local: string) => Date.parse(`${local}+08:00`) / 1000

interface FeishuTask {
  records: { check_out_shift_time: string; task_shift_type: number }[]
}

/**
 * Days changed at the simulators before anything is fetched (the demo sources cache what they fetch), so
 * that every definition meets its edge in real answers: an absent day at each vendor, a late check-in
 * made before its due time (0 seconds), an overtime segment whose check-in has no time of its own.
 */
async function changeDays(feishu: string, dingtalk: string): Promise<{ overtimeDay: string }> {
  await admin(`${feishu}/__sim/days/ou_b2/2024-05-07`, 'PUT', {
    records: [{ check_in_result: 'Lack', check_out_result: 'Lack' }],
  })
  await admin(`${feishu}/__sim/days/ou_a1/2024-05-08`, 'PUT', {
    records: [{ check_in_result: 'Late', check_in_time: epochSeconds('2024-05-08T08:50:00') }],
  })
  let overtimeDay = ''
  for (let date = 1; date <= 31 && !overtimeDay; date++) {
    const workDate = `2024-05-${String(date).padStart(2, '0')}`
    const weekday = new Date(`${workDate}T00:00:00Z`).getUTCDay()
    if (weekday === 0 || weekday === 6) continue
    const url = `${feishu}/__sim/days/u1/${workDate}`
    const { task } = (await admin(url, 'PUT', { records: [] })) as unknown as { task: FeishuTask }
    await admin(url, 'DELETE')
    const extra = task.records[1]
    if (extra?.task_shift_type !== 1) continue
    overtimeDay = workDate
    await admin(url, 'PUT', {
      records: [
        {},
        {
          check_in_result: 'Lack',
          check_out_result: 'Normal',
          check_out_time: Number(extra.check_out_shift_time) + 1800,
        },
      ],
    })
  }
  if (!overtimeDay) throw new Error('u1 has no overtime day in May')
  await admin(`${dingtalk}/__sim/days/d1/2024-05-09`, 'PUT', {
    checks: { OnDuty: { timeResult: 'NotSigned' }, OffDuty: { timeResult: 'NotSigned' } },
  })
  const url = `${dingtalk}/__sim/days/e1d/2024-05-10`
  const { rows } = (await admin(url, 'PUT', { checks: { OnDuty: { timeResult: 'Late' } } })) as unknown as {
    rows: { checkType: string; baseCheckTime: number }[]
  }
  const onDuty = rows.find((row) => row.checkType === 'OnDuty')
  if (!onDuty) throw new Error('e1d has no OnDuty row on 2024-05-10')
  await admin(url, 'PUT', {
    checks: { OnDuty: { timeResult: 'Late', userCheckTime: onDuty.baseCheckTime - 2 * 60_000 } },
  })
  return { overtimeDay }
}

function get(app: App, url: string, key = ALL) {
  return app.inject({ method: 'GET', url, headers: bearer(key) })
}

function post(app: App, url: string, payload: Record<string, unknown>, key = ALL) {
  return app.inject({ method: 'POST', url, headers: bearer(key), payload })
}

async function days(app: App, users: readonly string[], range = `from=${FROM}&to=${TO}`) {
  const response = await get(app, `/attendance/results?${range}&users=${users.join(',')}&overtime=true`)
  if (response.statusCode !== 200)
    throw new Error(`results answered ${response.statusCode}: ${response.payload}`)
  return response.json<AttendanceResponse>()
}

function summariesUrl(users: readonly string[], extra = '') {
  return `/attendance/summaries?month=${MONTH}&users=${users.join(',')}&overtime=true${extra}`
}

function json(response: LightMyRequestResponse): SummariesAnswer {
  if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${response.payload}`)
  return response.json<SummariesAnswer>()
}

/** A report without what depends on the query rather than the data (calls made, cache hits). */
const dataOf = ({ vendorCalls: _calls, cache: _cache, ...report }: SourceReport) => report

function ndjsonLines(response: LightMyRequestResponse): Record<string, unknown>[] {
  if (!response.payload.endsWith('\n')) throw new Error('an NDJSON answer ends with a newline')
  return response.payload
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

function errorOf(response: LightMyRequestResponse) {
  const { statusCode, code, message } = response.json<{ statusCode: number; code: string; message: string }>()
  return { statusCode, code, message }
}

// ---------------------------------------------------------------------------------------------------------

t.test('summaries of a month: every field as worked out from the days, in every format', async (t) => {
  const { app, feishu, dingtalk } = await setUp(t)
  const { overtimeDay } = await changeDays(feishu, dingtalk)
  const answer = await days(app, USERS)
  t.equal(answer.complete, true)
  const expected = expectedSummaries(answer, USERS)

  // Not vacuous: the data has every case the definitions tell apart.
  const sum = expected.reduce((total, summary) => addNumbers(total, totalsOf(summary)), {}) as {
    checks: Record<string, number>
    [field: string]: unknown
  }
  for (const result of ['normal', 'early', 'late', 'serious_late', 'absenteeism_late', 'missing'] as const) {
    t.ok((sum.checks[result] ?? 0) > 0, `some regular checks are ${result}`)
  }
  for (const result of ['not_required', 'system'] as const) {
    t.ok((sum.checks[result] ?? 0) > 0, `some Feishu checks are ${result}`)
  }
  // Feishu sends Todo (pending) only for checks that have not come: none in a month that is over.
  t.equal(sum.checks.pending, 0, 'no check of a month that is over is pending')
  t.match(
    sum,
    {
      late: { count: Number, seconds: Number },
      absentDays: 2,
      overtime: { segments: Number, seconds: Number },
    },
    'the two absent days made at the simulators (no generated day is absent)',
  )
  for (const field of ['workDays', 'missingChecks', 'workedSeconds'] as const) {
    t.ok((sum[field] as number) > 0, `${field} > 0`)
  }
  const dayOf = (userId: string, workDate: string) =>
    answer.results.find((day) => day.userId === userId && day.workDate === workDate)
  const earlyLate = dayOf('ou_a1', '2024-05-08')?.segments[0]?.checkIn
  t.match(
    earlyLate,
    { result: 'late', checkedAt: '2024-05-08T08:50:00+08:00' },
    'a late check-in before time',
  )
  t.same(totalsFromDays([dayOf('ou_a1', '2024-05-08') as DayResult]).late, { count: 1, seconds: 0 })
  const overtimeSegment = dayOf('u1', overtimeDay)?.segments[1]
  t.match(
    overtimeSegment,
    {
      overtime: true,
      checkIn: { result: 'missing', checkedAt: null, scheduledAt: String },
      checkOut: { checkedAt: String },
    },
    'an overtime segment without a check-in time: it starts at the check-in’s due time',
  )
  t.equal(
    (totalsFromDays([dayOf('u1', overtimeDay) as DayResult]).overtime as { seconds: number }).seconds,
    span(overtimeSegment?.checkIn?.scheduledAt, overtimeSegment?.checkOut?.checkedAt),
  )
  t.ok(
    answer.results.some((day) =>
      day.segments.some((segment) => segment.overtime && segment.checkIn?.checkedAt),
    ),
    'and overtime segments with a check-in time of their own',
  )
  t.ok(
    answer.results.some((day) =>
      day.segments.some((segment) => segment.overtime && segment.checkOut && !segment.checkOut.checkedAt),
    ),
    'and overtime segments without a check-out time (not counted)',
  )
  const e1dLate = dayOf('e1d', '2024-05-10')?.segments[0]?.checkIn
  t.match(e1dLate, { result: 'late' }, 'a DingTalk late check-in made before its due time')
  t.ok(
    Date.parse(e1dLate?.checkedAt ?? '') < Date.parse(e1dLate?.scheduledAt ?? ''),
    'checked before it was due',
  )
  t.ok(
    expected.some((summary) => summary.employeeName !== null) &&
      expected.every((s) => (s.days as number) > 0),
  )

  t.test('JSON: the summaries, sorted by source then userId, and the reports', async (t) => {
    const response = await get(app, summariesUrl(USERS))
    t.equal(response.headers['content-type'], 'application/json; charset=utf-8')
    const body = json(response)
    t.same(Object.keys(body), ['from', 'to', 'summaries', 'complete', 'sources'], 'no people without groupBy')
    t.equal(body.from, FROM)
    t.equal(body.to, TO)
    t.equal(body.complete, true)
    t.strictSame(body.summaries, expected, 'every field of every user')
    t.same(
      body.summaries.map((summary) => `${summary.source}:${summary.userId}`),
      [...DINGTALK_USERS, ...FEISHU_USERS].sort(bySourceThenUser),
    )
    t.strictSame(body.sources.map(dataOf), answer.sources.map(dataOf))
    t.same(
      Object.keys(body.summaries[0] ?? {}),
      Object.keys(expected[0] ?? {}),
      'the fields in the documented order',
    )
    t.same(
      Object.keys(body.summaries[0]?.checks ?? {}),
      [...CHECK_RESULTS],
      'every check result, zeros included',
    )
  })

  t.test('POST, from/to and month give the same summaries', async (t) => {
    const viaPost = json(
      await post(app, '/attendance/summaries', { month: MONTH, users: USERS, overtime: true }),
    )
    t.strictSame(viaPost.summaries, expected)
    const viaRange = json(
      await get(app, `/attendance/summaries?from=${FROM}&to=${TO}&users=${USERS.join(',')}&overtime=true`),
    )
    t.strictSame(viaRange.summaries, expected)
    t.same([viaRange.from, viaRange.to], [FROM, TO])
    const postRange = json(
      await post(app, '/attendance/summaries', { from: FROM, to: TO, users: USERS, overtime: true }),
    )
    t.strictSame(postRange.summaries, expected)
    const asObjects = json(
      await post(app, '/attendance/summaries', {
        month: MONTH,
        users: USERS.map((user) => ({ source: user.split(':')[0], userId: user.split(':')[1] })),
        overtime: true,
      }),
    )
    t.strictSame(asObjects.summaries, expected, 'users as {source, userId} too')
  })

  t.test('without overtime=true there are no overtime segments; the regular counts stay', async (t) => {
    const plain = (
      await get(app, `/attendance/results?from=${FROM}&to=${TO}&users=${USERS.join(',')}`)
    ).json<AttendanceResponse>()
    t.notOk(
      plain.results.some((day) => day.segments.some((segment) => segment.overtime)),
      'the days have no overtime segments',
    )
    const body = json(await get(app, `/attendance/summaries?month=${MONTH}&users=${USERS.join(',')}`))
    t.strictSame(body.summaries, expectedSummaries(plain, USERS))
    t.strictSame(
      body.summaries.map(({ overtime: _overtime, ...rest }) => rest),
      expected.map(({ overtime: _overtime, ...rest }) => rest),
    )
    t.ok(body.summaries.every((summary) => (summary.overtime as { segments: number }).segments === 0))
  })

  t.test('other ranges: a week, a leap February, a user with no days', async (t) => {
    const week = await days(app, ['feishu:ou_a1', 'dingtalk:mgr01'], 'from=2024-05-06&to=2024-05-12')
    const body = json(
      await get(
        app,
        '/attendance/summaries?from=2024-05-06&to=2024-05-12&users=feishu:ou_a1,dingtalk:mgr01&overtime=true',
      ),
    )
    t.strictSame(body.summaries, expectedSummaries(week, ['feishu:ou_a1', 'dingtalk:mgr01']))
    t.same(
      body.summaries.map((summary) => summary.days),
      [5, 5],
      'Monday to Sunday: five weekdays',
    )
    const february = json(await get(app, '/attendance/summaries?month=2024-02&users=dingtalk:mgr01'))
    t.same([february.from, february.to], ['2024-02-01', '2024-02-29'])
    t.equal(february.summaries[0]?.days, 21)
    const february2023 = json(await get(app, '/attendance/summaries?month=2023-02&users=dingtalk:mgr01'))
    t.same([february2023.from, february2023.to], ['2023-02-01', '2023-02-28'])
    const december = json(await get(app, '/attendance/summaries?month=2023-12&users=dingtalk:mgr01'))
    t.same([december.from, december.to], ['2023-12-01', '2023-12-31'])
    const weekend = json(
      await get(app, '/attendance/summaries?from=2024-05-11&to=2024-05-12&users=feishu:ou_a1'),
    )
    t.strictSame(weekend.summaries, [
      {
        source: 'feishu',
        vendor: 'feishu',
        userId: 'ou_a1',
        employeeName: null,
        person: null,
        ...totalsFromDays([]),
        complete: true,
      },
    ])
  })

  t.test('NDJSON: a summary a line, then the summary line', async (t) => {
    const response = await get(app, summariesUrl(USERS, '&format=ndjson'))
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'application/x-ndjson; charset=utf-8')
    const lines = ndjsonLines(response)
    const last = lines.pop() as { type: string; complete: boolean; sources: SourceReport[] }
    t.strictSame(lines, expected)
    t.same(Object.keys(last), ['type', 'complete', 'sources'])
    t.equal(last.type, 'summary')
    t.equal(last.complete, true)
    t.strictSame(last.sources.map(dataOf), answer.sources.map(dataOf))
  })

  const header = flatten(expected[0] as Summary).map(([column]) => column)

  t.test('CSV: the flattened columns, one row per user with the same numbers', async (t) => {
    const response = await get(app, summariesUrl(USERS, '&format=csv'))
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(
      response.headers['content-disposition'],
      `attachment; filename="attendance_summary_${FROM}_${TO}.csv"`,
    )
    t.same(header, [
      'source',
      'vendor',
      'userId',
      'employeeName',
      'person',
      'days',
      'workDays',
      ...CHECK_RESULTS.map((result) => `checks_${result}`),
      'late_count',
      'late_seconds',
      'earlyLeave_count',
      'earlyLeave_seconds',
      'missingChecks',
      'absentDays',
      'workedSeconds',
      'overtime_segments',
      'overtime_seconds',
      'complete',
    ])
    const [head, ...rows] = parse(response.rawPayload.toString('utf8')) as string[][]
    t.same(head, header)
    t.same(
      rows,
      expected.map((summary) => flatten(summary).map(([, value]) => csvCell(value))),
      'every cell',
    )
    const bom = await get(app, summariesUrl(USERS, '&format=csv&bom=true'))
    t.same([...bom.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'bom=true starts with the byte-order mark')
  })

  t.test('XLSX: sheet Summary with the same numbers, sheet Sources', async (t) => {
    const response = await get(app, summariesUrl(USERS, '&format=xlsx'))
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], XLSX)
    t.equal(
      response.headers['content-disposition'],
      `attachment; filename="attendance_summary_${FROM}_${TO}.xlsx"`,
    )
    const workbook = await loadWorkbook(response.rawPayload)
    t.same(
      workbook.worksheets.map((worksheet) => worksheet.name),
      ['Summary', 'Sources'],
      'no Days sheet',
    )
    const summarySheet = sheet(workbook, 'Summary')
    t.same(rowValues(summarySheet, 1, header.length), header)
    t.strictSame(
      sheetRecords(summarySheet, header),
      expected.map((summary) => Object.fromEntries(flatten(summary))),
      'numbers as numbers, texts as texts, complete as a boolean',
    )
    const sources = sheet(workbook, 'Sources')
    t.same(rowValues(sources, 1, 4), ['source', 'vendor', 'status', 'complete'])
    t.same(
      [rowValues(sources, 2, 4), rowValues(sources, 3, 4)],
      answer.sources.map((report) => [report.source, report.vendor, report.status, true]),
    )
    t.same(rowValues(sources, 5, 2), ['from', FROM])
    t.same(rowValues(sources, 6, 2), ['to', TO])
    t.same(rowValues(sources, 7, 2), ['complete', true])
  })

  t.test('a person with a Feishu and a DingTalk account', async (t) => {
    const accounts = ['feishu:ou_e1', 'dingtalk:e1d']
    const personDays = await days(app, ['person:E1'])
    t.same(
      [...new Set(personDays.results.map((day) => `${day.source}:${day.userId}`))],
      ['dingtalk:e1d', 'feishu:ou_e1'],
      'person:E1 expands to both accounts',
    )
    t.ok(
      personDays.results.every((day) => day.person === 'E1'),
      'each day says its person',
    )
    t.ok(
      answer.results.every((day) => day.person === (PERSON_OF.get(`${day.source}:${day.userId}`) ?? null)),
      'and every other day its own (null without one)',
    )
    const mine = expectedSummaries(personDays, accounts)
    const body = json(await get(app, summariesUrl(['person:E1'])))
    t.strictSame(body.summaries, mine)
    t.same(
      body.summaries.map((summary) => summary.person),
      ['E1', 'E1'],
    )
    t.strictSame(
      body.summaries,
      expected.filter((summary) => summary.person === 'E1'),
      'the same as asked by account',
    )

    const grouped = json(await get(app, summariesUrl(['person:E1'], '&groupBy=person')))
    t.same(Object.keys(grouped), ['from', 'to', 'summaries', 'complete', 'sources', 'people'])
    t.strictSame(grouped.summaries, mine)
    const e1 = expectedPeople(mine)
    t.strictSame(grouped.people, e1)
    t.match(e1, [{ person: 'E1', name: '调动 Transfer', accounts: ['dingtalk:e1d', 'feishu:ou_e1'] }])
    t.equal(
      e1[0]?.workedSeconds,
      (mine[0]?.workedSeconds as number) + (mine[1]?.workedSeconds as number),
      'the totals of both vendors summed',
    )
    t.ok((mine[0]?.days as number) > 0 && (mine[1]?.days as number) > 0, 'both accounts have days')

    const viaPost = json(
      await post(app, '/attendance/summaries', {
        month: MONTH,
        users: ['person:E1', 'feishu:ou_e1'],
        overtime: true,
        groupBy: 'person',
      }),
    )
    t.strictSame(viaPost.people, e1, 'an account named twice (by person and by id) counts once')
  })

  t.test('groupBy=person: one row per person asked for, however many vendors', async (t) => {
    const body = json(await get(app, summariesUrl(USERS, '&groupBy=person')))
    t.strictSame(body.summaries, expected)
    const people = expectedPeople(expected)
    t.strictSame(body.people, people)
    t.same(
      people.map((person) => [person.person, person.name, person.accounts]),
      [
        ['E1', '调动 Transfer', ['dingtalk:e1d', 'feishu:ou_e1']],
        ['E2', null, ['dingtalk:d1']],
      ],
      'E3 was not asked for; users in no person are in no row',
    )

    const ndjson = ndjsonLines(await get(app, summariesUrl(USERS, '&groupBy=person&format=ndjson')))
    const last = ndjson.pop() as { type: string; people: PersonRow[] }
    t.strictSame(ndjson, expected)
    t.same(Object.keys(last), ['type', 'complete', 'sources', 'people'])
    t.strictSame(last.people, people)

    const csv = await get(app, summariesUrl(USERS, '&groupBy=person&format=csv'))
    t.equal(csv.statusCode, 200)
    const [head, ...rows] = parse(csv.rawPayload.toString('utf8')) as string[][]
    const personHeader = flatten(people[0] as PersonRow).map(([column]) => column)
    t.same(personHeader.slice(0, 3), ['person', 'name', 'accounts'])
    t.same(head, personHeader)
    t.same(
      rows,
      people.map((person) => flatten(person).map(([, value]) => csvCell(value))),
      'one row per person, the accounts in one cell',
    )

    const xlsx = await get(app, summariesUrl(USERS, '&groupBy=person&format=xlsx'))
    t.equal(xlsx.statusCode, 200)
    const workbook = await loadWorkbook(xlsx.rawPayload)
    t.same(
      workbook.worksheets.map((worksheet) => worksheet.name),
      ['Summary', 'People', 'Sources'],
    )
    t.strictSame(
      sheetRecords(sheet(workbook, 'Summary'), header),
      expected.map((summary) => Object.fromEntries(flatten(summary))),
    )
    const peopleSheet = sheet(workbook, 'People')
    t.same(rowValues(peopleSheet, 1, personHeader.length), personHeader)
    t.strictSame(
      sheetRecords(peopleSheet, personHeader),
      people.map((person) => Object.fromEntries(flatten(person))),
    )

    const noPeople = json(await get(app, summariesUrl(['feishu:ou_a1'], '&groupBy=person')))
    t.same(noPeople.people, [], 'no person among the users: an empty list')
  })

  t.test('an export with report: "summary" gives the synchronous CSV', async (t) => {
    const sync = await get(app, summariesUrl(USERS, '&format=csv'))
    t.equal(sync.statusCode, 200)
    for (const extra of [{}, { groupBy: 'person' }]) {
      const created = await post(app, '/attendance/exports', {
        from: FROM,
        to: TO,
        users: USERS,
        overtime: true,
        format: 'csv',
        report: 'summary',
        ...extra,
      })
      t.equal(created.statusCode, 202, created.payload)
      const job = await finished(app, created.json<ExportJob>().id)
      t.match(job, {
        status: 'succeeded',
        complete: true,
        file: { name: `attendance_summary_${FROM}_${TO}.csv` },
      })
      const file = await get(app, `/attendance/exports/${job.id}/file`)
      t.equal(file.statusCode, 200)
      const expectedCsv =
        'groupBy' in extra ? await get(app, summariesUrl(USERS, '&format=csv&groupBy=person')) : sync
      t.same(
        parse(file.rawPayload.toString('utf8')),
        parse(expectedCsv.rawPayload.toString('utf8')),
        `the same rows (${JSON.stringify(extra)})`,
      )
      t.equal(file.payload, expectedCsv.payload, 'the same bytes')
    }
  })

  t.test('GET /people: as far as the key may see', async (t) => {
    const all = await get(app, '/people')
    t.equal(all.statusCode, 200)
    t.same(all.json(), {
      people: [
        { id: 'E1', name: '调动 Transfer', accounts: ['feishu:ou_e1', 'dingtalk:e1d'] },
        { id: 'E2', name: null, accounts: ['dingtalk:d1'] },
        { id: 'E3', name: 'Not asked', accounts: ['feishu:nobody'] },
      ],
    })
    const restricted = await get(app, '/people', FEISHU_ONLY)
    t.equal(restricted.statusCode, 200)
    t.same(
      restricted.json(),
      {
        people: [
          { id: 'E1', name: '调动 Transfer', accounts: ['feishu:ou_e1'] },
          { id: 'E3', name: 'Not asked', accounts: ['feishu:nobody'] },
        ],
      },
      'only the Feishu accounts; E2 (DingTalk only) is not listed',
    )
    t.equal((await app.inject('/people')).statusCode, 401, 'a key is needed')
    const forbidden = await get(app, summariesUrl(['person:E1']), FEISHU_ONLY)
    t.match(errorOf(forbidden), { statusCode: 403, code: 'ATT_FORBIDDEN_SOURCE', message: /dingtalk/ })
    const allowed = json(await get(app, summariesUrl(['feishu:ou_e1']), FEISHU_ONLY))
    t.strictSame(
      allowed.summaries,
      expected.filter((summary) => summary.userId === 'ou_e1'),
    )
  })
})

async function finished(app: App, id: string): Promise<ExportJob> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const job = (await get(app, `/attendance/exports/${id}`)).json<ExportJob>()
    if (['succeeded', 'failed', 'cancelled'].includes(job.status) && job.finishedAt !== null) return job
    if (Date.now() > deadline) throw new Error(`export ${id} still ${job.status}`)
    await sleep(20)
  }
}

t.test('bad input: month with from/to or neither, a bad month, an unknown person', async (t) => {
  const { app } = await setUp(t)
  const users = 'users=feishu:ou_a1'
  const invalidRange: [string, string][] = [
    [`month=${MONTH}&from=${FROM}&${users}`, 'give either month or from and to, not both'],
    [`month=${MONTH}&to=${TO}&${users}`, 'give either month or from and to, not both'],
    [`month=${MONTH}&from=${FROM}&to=${TO}&${users}`, 'give either month or from and to, not both'],
    [users, 'give from and to, or month'],
    [`from=${FROM}&${users}`, 'give from and to, or month'],
    [`to=${TO}&${users}`, 'give from and to, or month'],
  ]
  for (const [query, message] of invalidRange) {
    t.strictSame(
      errorOf(await get(app, `/attendance/summaries?${query}`)),
      { statusCode: 400, code: 'ATT_INVALID_RANGE', message },
      query,
    )
  }
  t.strictSame(
    errorOf(
      await post(app, '/attendance/summaries', { month: MONTH, from: FROM, to: TO, users: ['feishu:ou_a1'] }),
    ),
    { statusCode: 400, code: 'ATT_INVALID_RANGE', message: 'give either month or from and to, not both' },
    'POST too',
  )
  t.strictSame(errorOf(await post(app, '/attendance/summaries', { users: ['feishu:ou_a1'] })), {
    statusCode: 400,
    code: 'ATT_INVALID_RANGE',
    message: 'give from and to, or month',
  })
  for (const month of ['2024-13', '2024-00', '2024-5', '24-05', '2024-05-01', 'May']) {
    const response = await get(app, `/attendance/summaries?month=${month}&${users}`)
    t.equal(response.statusCode, 400, `month=${month}`)
    t.match(
      response.json(),
      { statusCode: 400, message: /month/ },
      `month=${month}: the error names the field`,
    )
  }
  const badPost = await post(app, '/attendance/summaries', { month: '2024-13', users: ['feishu:ou_a1'] })
  t.equal(badPost.statusCode, 400)
  t.strictSame(errorOf(await get(app, `/attendance/summaries?month=${MONTH}&users=person:E9,feishu:ou_a1`)), {
    statusCode: 400,
    code: 'ATT_UNKNOWN_PERSON',
    message: 'person "E9" is not in PEOPLE_FILE',
  })
  t.strictSame(
    errorOf(await post(app, '/attendance/summaries', { month: MONTH, users: ['person:nobody'] })),
    { statusCode: 400, code: 'ATT_UNKNOWN_PERSON', message: 'person "nobody" is not in PEOPLE_FILE' },
  )
  t.match(
    errorOf(await get(app, `/attendance/results?from=${FROM}&to=${TO}&users=person:E9`)),
    { statusCode: 400, code: 'ATT_UNKNOWN_PERSON' },
    'the days’ query expands people the same way',
  )
  const groupBy = await get(app, `/attendance/summaries?month=${MONTH}&${users}&groupBy=source`)
  t.equal(groupBy.statusCode, 400, 'groupBy is person or nothing')
  const includeRaw = await get(app, `/attendance/summaries?month=${MONTH}&${users}&includeRaw=true`)
  t.equal(includeRaw.statusCode, 400, 'includeRaw is not a field of summaries')
})

t.test('a failing source block: its users are incomplete, the others complete', async (t) => {
  const { app, dingtalk } = await setUp(t)
  // The result cache (demo sources keep days for hours) holds mgr01's month, d1's first half and ou_a1's
  // month; then DingTalk's monthly quota is spent, so every block still to fetch there fails at once.
  await days(app, ['dingtalk:mgr01', 'feishu:ou_a1'])
  await days(app, ['dingtalk:d1'], 'from=2024-05-01&to=2024-05-15')
  await admin(`${dingtalk}/__sim/config`, 'PATCH', { monthlyQuota: 1 })
  const users = ['feishu:ou_a1', 'feishu:invalid_x', 'feishu:unauth_y', 'dingtalk:mgr01', 'dingtalk:d1']

  const answer = await days(app, users)
  t.equal(answer.complete, false)
  const dingtalkReport = answer.sources.find((report) => report.source === 'dingtalk')
  t.match(dingtalkReport, { status: 'partial', error: { code: 'VENDOR_QUOTA_EXHAUSTED' } })
  t.ok(
    dingtalkReport?.missing.length && dingtalkReport.missing.every((part) => part.userIds.join() === 'd1'),
    'only d1 is in the missing blocks',
  )
  t.same(
    dingtalkReport?.missing.map((part) => [part.from, part.to]).sort()[0]?.[0],
    '2024-05-16',
    'the days after the cached ones',
  )
  const expected = expectedSummaries(answer, users)
  t.same(
    Object.fromEntries(expected.map((summary) => [`${summary.source}:${summary.userId}`, summary.complete])),
    {
      'dingtalk:d1': false,
      'dingtalk:mgr01': true,
      'feishu:invalid_x': false,
      'feishu:ou_a1': true,
      'feishu:unauth_y': false,
    },
  )
  t.equal(expected.find((summary) => summary.userId === 'd1')?.days, 11, 'd1 has its first half: 11 weekdays')

  const body = json(await get(app, summariesUrl(users)))
  t.equal(body.complete, false)
  t.strictSame(body.summaries, expected, 'the counts of the days there are, and complete per user')
  // The error's wording differs once the service knows the quota is spent; the rest of the report does not.
  const withoutMessage = (report: SourceReport) => {
    const { error, ...rest } = dataOf(report)
    return { ...rest, error: error && { code: error.code, vendorCode: error.vendorCode } }
  }
  t.strictSame(body.sources.map(withoutMessage), answer.sources.map(withoutMessage))

  const grouped = json(await get(app, summariesUrl(users, '&groupBy=person')))
  t.strictSame(grouped.people, expectedPeople(expected))
  t.match(grouped.people, [{ person: 'E2', accounts: ['dingtalk:d1'], complete: false }])

  const ndjson = ndjsonLines(await get(app, summariesUrl(users, '&format=ndjson')))
  const last = ndjson.pop()
  t.strictSame(ndjson, expected)
  t.match(last, { type: 'summary', complete: false })

  for (const format of ['csv', 'xlsx'] as const) {
    t.match(
      errorOf(await get(app, summariesUrl(users, `&format=${format}`))),
      { statusCode: 502, code: 'ATT_INCOMPLETE_RESULT', message: /sources not ok: dingtalk/ },
      `${format}: sent only when complete`,
    )
  }
  for (const format of ['json', 'ndjson'] as const) {
    t.match(
      errorOf(await get(app, summariesUrl(users, `&format=${format}&strict=true`))),
      { statusCode: 502, code: 'ATT_INCOMPLETE_RESULT', message: /sources not ok: dingtalk \(strict=true\)/ },
      `${format} with strict=true`,
    )
  }
  const strictPost = await post(app, '/attendance/summaries', { month: MONTH, users, strict: true })
  t.equal(strictPost.statusCode, 502)

  // The complete users alone: a complete answer, strict or not.
  const complete = ['feishu:ou_a1', 'dingtalk:mgr01']
  const strict = json(await get(app, summariesUrl(complete, '&strict=true')))
  t.equal(strict.complete, true)
  t.strictSame(
    strict.summaries,
    expected.filter((summary) => complete.includes(`${summary.source}:${summary.userId}`)),
  )
  const strictNdjson = await get(app, summariesUrl(complete, '&format=ndjson&strict=true'))
  t.equal(strictNdjson.statusCode, 200, 'strict NDJSON, complete: sent')
  const strictLines = ndjsonLines(strictNdjson)
  t.match(strictLines.pop(), { type: 'summary', complete: true })
  t.strictSame(strictLines, strict.summaries)
  const invalidOnly = await get(app, summariesUrl(['feishu:ou_a1', 'feishu:invalid_x'], '&format=csv'))
  t.match(errorOf(invalidOnly), { statusCode: 502, message: /some users were invalid or unauthorized/ })
})
