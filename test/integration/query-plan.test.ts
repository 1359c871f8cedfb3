// A query of 120 users over 20 days returns every expected day exactly once from both vendors, with
// exactly the number of vendor calls the plan's minimum allows.
import t from 'tap'
import { formatWorkDate, parseWorkDate, toCompactDate } from '../../src/platform/time/work-date.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { dingTalkRowsFor, feishuTaskFor } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

const from = '2024-05-01'
const to = '2024-05-20'
const days = Array.from({ length: 20 }, (_, i) => (parseWorkDate(from) as number) + i)

t.test('120 users × 20 days: every day once, calls at the plan minimum', async (t) => {
  // Vendor limits out of the way: this test counts the plan's calls, and a throttled retry would add one.
  const simulators = await startSimulators(t, {
    feishu: { rateLimitPerSecond: 10_000 },
    dingtalk: { rateLimitPerSecond: 10_000 },
  })
  const { app } = await startReplica(t, sourcesFor(simulators))
  const feishuUsers = userList('feishu', 120)
  const dingtalkUsers = userList('dingtalk', 120)
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from, to, users: [...feishuUsers, ...dingtalkUsers] },
  })
  t.equal(response.statusCode, 200)
  const body = response.json<AttendanceResponse>()
  t.equal(body.complete, true)

  // What the simulators hold for these users and days, computed without HTTP.
  const expectedFeishu = new Set<string>()
  for (const ref of feishuUsers) {
    const userId = ref.slice('feishu:'.length)
    for (const day of days)
      if (feishuTaskFor(userId, toCompactDate(day), { overtime: false }))
        expectedFeishu.add(`${userId}/${formatWorkDate(day)}`)
  }
  const expectedDingTalk = new Set<string>()
  let dingTalkPages = 0
  const userIds = dingtalkUsers.map((ref) => ref.slice('dingtalk:'.length))
  for (let chunk = 0; chunk < userIds.length; chunk += 50) {
    for (let windowStart = 0; windowStart < days.length; windowStart += 7) {
      let rows = 0
      for (const userId of userIds.slice(chunk, chunk + 50)) {
        for (const day of days.slice(windowStart, windowStart + 7)) {
          const dayRows = dingTalkRowsFor(userId, formatWorkDate(day), {})
          rows += dayRows.length
          if (dayRows.length > 0) expectedDingTalk.add(`${userId}/${formatWorkDate(day)}`)
        }
      }
      dingTalkPages += Math.max(1, Math.ceil(rows / 50))
    }
  }

  const seen = (source: string) =>
    body.results.filter((day) => day.source === source).map((day) => `${day.userId}/${day.workDate}`)
  const feishuSeen = seen('feishu')
  const dingTalkSeen = seen('dingtalk')
  t.equal(new Set(feishuSeen).size, feishuSeen.length, 'no Feishu day twice')
  t.equal(new Set(dingTalkSeen).size, dingTalkSeen.length, 'no DingTalk day twice')
  t.same(new Set(feishuSeen), expectedFeishu, 'every Feishu day the vendor holds')
  t.same(new Set(dingTalkSeen), expectedDingTalk, 'every DingTalk day the vendor holds')
  t.ok(
    expectedFeishu.size > 120 * 10 && expectedDingTalk.size > 120 * 10,
    'weekdays only, a dozen or more each',
  )

  const report = (source: string) => body.sources.find((item) => item.source === source)
  t.equal(report('feishu')?.vendorCalls, 3, 'Feishu: 3 chunks of 50 × one 30-day window')
  t.equal(
    report('dingtalk')?.vendorCalls,
    dingTalkPages,
    `DingTalk: 3 chunks × 3 windows, ${dingTalkPages} pages`,
  )
  t.equal(simulators.feishu.counters().dataCalls, 3)
  t.equal(simulators.dingtalk.counters().dataCalls, dingTalkPages)
  t.equal(simulators.feishu.counters().tokenCalls, 1)
  t.equal(simulators.dingtalk.counters().tokenCalls, 1)

  // Sorted by source, userId, workDate.
  const keys = body.results.map((day) => `${day.source}\u0000${day.userId}\u0000${day.workDate}`)
  t.same(keys, [...keys].sort())
})
