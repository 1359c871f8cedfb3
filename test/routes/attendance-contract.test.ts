// The public contract, through demo mode (the embedded simulators), as a user of the API sees it.
import t, { type Test } from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { Check, DayResult } from '../../src/schemas/day-result.js'
import { comparableAnswer } from '../helpers/answers.js'
import { buildTestApp } from '../helpers/test-app.js'

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/
const url = '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1'

t.test('the README example: 10 day results from both vendors', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject(url)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /application\/json/)
  const body = response.json<AttendanceResponse>()
  t.equal(body.from, '2024-05-06')
  t.equal(body.to, '2024-05-10')
  t.equal(body.complete, true)
  t.equal(body.results.length, 10)
  t.same(
    body.results.map((day) => `${day.source}/${day.userId}/${day.workDate}`),
    ['06', '07', '08', '09', '10']
      .map((d) => `dingtalk/d1/2024-05-${d}`)
      .concat(['06', '07', '08', '09', '10'].map((d) => `feishu/u1/2024-05-${d}`)),
    'sorted by source, userId, workDate',
  )
  t.same(
    body.sources.map(
      ({ source, vendor, status, vendorCalls, invalidUserIds, unauthorizedUserIds, missing, error }) => ({
        source,
        vendor,
        status,
        vendorCalls,
        invalidUserIds,
        unauthorizedUserIds,
        missing,
        error,
      }),
    ),
    [
      {
        source: 'dingtalk',
        vendor: 'dingtalk',
        status: 'ok',
        vendorCalls: 1,
        invalidUserIds: [],
        unauthorizedUserIds: [],
        missing: [],
        error: null,
      },
      {
        source: 'feishu',
        vendor: 'feishu',
        status: 'ok',
        vendorCalls: 1,
        invalidUserIds: [],
        unauthorizedUserIds: [],
        missing: [],
        error: null,
      },
    ],
  )
  for (const day of body.results) {
    t.equal(day.vendor, day.source)
    t.equal(day.timezone, 'Asia/Shanghai')
    t.notOk('raw' in day, 'raw only when asked')
    t.ok(day.segments.length >= 1)
    for (const segment of day.segments) {
      t.equal(segment.overtime, false, 'no overtime unless asked')
      for (const check of [segment.checkIn, segment.checkOut]) {
        if (!check) continue
        assertCheck(t, check, day)
      }
    }
  }
  const feishuDay = body.results.find((day) => day.source === 'feishu') as DayResult
  t.type(feishuDay.employeeName, 'string')
  t.type(feishuDay.shiftId, 'string')
  const dingTalkDay = body.results.find((day) => day.source === 'dingtalk') as DayResult
  t.equal(dingTalkDay.employeeName, null)
  t.equal(dingTalkDay.shiftId, null)
})

function assertCheck(t: Test, check: Check, day: DayResult) {
  t.match(check.scheduledAt, RFC3339)
  t.ok(check.checkedAt === null || RFC3339.test(check.checkedAt))
  t.ok(check.scheduledAt?.startsWith(day.workDate), 'scheduled on its work day')
  t.match(check.scheduledAt, /\+08:00$/, 'in the source time zone')
  if (check.result === 'missing') t.equal(check.checkedAt, null, 'a missing check has no check time')
  t.type(check.vendorResult, 'string')
}

t.test('POST with the same fields gives the same answer', async (t) => {
  const { app } = await buildTestApp(t)
  const get = await app.inject(url)
  const post = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: {
      from: '2024-05-06',
      to: '2024-05-10',
      users: ['feishu:u1', { source: 'dingtalk', userId: 'd1' }],
    },
  })
  t.equal(post.statusCode, 200)
  t.same(comparableAnswer(post.json()), comparableAnswer(get.json()))
})

t.test('includeRaw attaches the vendor rows to the day they produced', async (t) => {
  const { app } = await buildTestApp(t)
  const body = (await app.inject(`${url}&includeRaw=true`)).json<AttendanceResponse>()
  for (const day of body.results) {
    t.ok(Array.isArray(day.raw) && day.raw.length > 0)
    if (day.source === 'feishu')
      t.match(day.raw?.[0], { user_id: 'u1', day: Number(day.workDate.replaceAll('-', '')) })
    else t.ok(day.raw?.every((row) => (row as { userId: string }).userId === 'd1'))
  }
})

t.test('overtime=true adds Feishu overtime segments on some days', async (t) => {
  const { app } = await buildTestApp(t)
  const users = Array.from({ length: 10 }, (_, i) => `feishu:o${i}`).join(',')
  const body = (
    await app.inject(`/attendance/results?from=2024-05-06&to=2024-05-31&users=${users}&overtime=true`)
  ).json<AttendanceResponse>()
  const overtime = body.results.flatMap((day) => day.segments).filter((segment) => segment.overtime)
  t.ok(overtime.length > 0, `${overtime.length} overtime segments`)
  const without = (
    await app.inject(`/attendance/results?from=2024-05-06&to=2024-05-31&users=${users}`)
  ).json<AttendanceResponse>()
  t.equal(without.results.flatMap((day) => day.segments).filter((segment) => segment.overtime).length, 0)
})

t.test('Feishu invalid and unauthorized users are reported and make the answer incomplete', async (t) => {
  const { app } = await buildTestApp(t)
  const body = (
    await app.inject(
      '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:invalid_x,feishu:unauth_y',
    )
  ).json<AttendanceResponse>()
  t.equal(body.complete, false)
  t.match(body.sources[0], {
    source: 'feishu',
    status: 'ok',
    invalidUserIds: ['invalid_x'],
    unauthorizedUserIds: ['unauth_y'],
  })
  t.equal(body.results.length, 5, 'the valid user’s days still come back')
  const strict = await app.inject(
    '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:invalid_x&strict=true',
  )
  t.equal(strict.statusCode, 502)
  t.match(strict.json(), { code: 'ATT_INCOMPLETE_RESULT', message: /invalid or unauthorized/ })
})

t.test('a request id is honoured and returned', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const response = await app.inject({ url, headers: { 'x-request-id': 'payroll-run-42' } })
  t.equal(response.headers['x-request-id'], 'payroll-run-42')
  const generated = await app.inject('/healthz')
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const requestLines = logs.records().filter((line) => line.msg === 'request')
  t.match(requestLines[0], { requestId: 'payroll-run-42', statusCode: 200, method: 'GET' })
  t.equal(requestLines.length, 2, 'one line per request')
  const vendorLines = logs
    .records()
    .filter((line) => line.msg === 'vendor call' && line.requestId === 'payroll-run-42')
  t.ok(vendorLines.length >= 2, 'vendor calls are logged with the request id')
  t.match(vendorLines[0], { source: String, endpoint: String, status: 200, durationMs: Number, attempt: 1 })
})
