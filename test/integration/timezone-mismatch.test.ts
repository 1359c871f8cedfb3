// A DingTalk tenant whose attendance groups sit in Tokyo, configured with the default Asia/Shanghai: every
// workDate is a Tokyo midnight, 23:00 the day before in Shanghai. Read as a plain local date, every day
// came out one day early: a day before `from`, none for `to`, and `complete: true`.
import t from 'tap'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { dingTalkRowsFor } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

const from = '2024-05-06'
const to = '2024-05-12'

t.test('groups in Tokyo, source in Shanghai: each day on its own date, and a warning says why', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { timezone: 'Asia/Tokyo' } })
  const { app } = await startReplica(t, sourcesFor(simulators))
  const users = userList('dingtalk', 6)
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from, to, users },
  })
  t.equal(response.statusCode, 200)
  const body = response.json<AttendanceResponse>()

  const expected: string[] = []
  for (const ref of users) {
    const userId = ref.slice('dingtalk:'.length)
    for (let day = parseWorkDate(from) as number; day <= (parseWorkDate(to) as number); day++) {
      const workDate = formatWorkDate(day)
      if (dingTalkRowsFor(userId, workDate, { timezone: 'Asia/Tokyo' }).length > 0) {
        expected.push(`${userId}/${workDate}`)
      }
    }
  }
  t.ok(expected.length >= 6 * 5, `the simulator holds ${expected.length} days for these users`)
  t.same(
    body.results.map((day) => `${day.userId}/${day.workDate}`),
    expected,
    'exactly the days of the range, each on its own date',
  )
  t.equal(body.complete, true)
  const [report] = body.sources
  t.equal(report?.status, 'ok')
  t.same(
    report?.warnings.map(({ code, count }) => ({ code, count })),
    [{ code: 'TIMEZONE_MISMATCH', count: expected.length }],
    'every day is counted as off the source zone midnight',
  )
})

t.test('the same tenant configured with its real zone: no warning', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { timezone: 'Asia/Tokyo' } })
  const { app } = await startReplica(t, sourcesFor(simulators, { dingtalk: { timezone: 'Asia/Tokyo' } }))
  const response = await app.inject({
    method: 'GET',
    url: `/attendance/results?from=${from}&to=${to}&users=${userList('dingtalk', 3).join(',')}`,
  })
  const body = response.json<AttendanceResponse>()
  t.equal(body.complete, true)
  t.same(body.sources[0]?.warnings, [])
  t.ok(body.results.every((day) => day.workDate >= from && day.workDate <= to))
})
