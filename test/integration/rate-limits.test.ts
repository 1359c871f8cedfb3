// The outbound limit holds across replicas: three app instances on one Redis, each running a large query
// at once, never put more than the configured rate into any sliding second at the vendor.
import t from 'tap'
import { resolveSource } from '../../src/config/source-config.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import { startSimulatorProcess } from '../helpers/simulator-process.js'

/** The simulators hold one day for every user on every weekday, none on weekends. */
function weekdaysBetween(from: string, to: string): number {
  let count = 0
  for (let day = new Date(`${from}T00:00:00Z`); day <= new Date(`${to}T00:00:00Z`); ) {
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) count++
    day = new Date(day.getTime() + 86_400_000)
  }
  return count
}

/** The days without the time each was fetched at: the same days fetched twice differ only in that. */
function fetchedDays(answer: AttendanceResponse): unknown[] {
  return answer.results.map((day) => {
    const { fetchedAt: _fetchedAt, ...rest } = day as typeof day & { fetchedAt?: string }
    return rest
  })
}

/** Each (source, user, date) of the answer once, and how many there are. */
function distinctDays(answer: AttendanceResponse): { days: number; distinct: number } {
  const keys = answer.results.map((day) => `${day.source}/${day.userId}/${day.workDate}`)
  return { days: keys.length, distinct: new Set(keys).size }
}

t.test('weekdays: Monday 2024-05-06 and Tuesday; three whole weeks from that Monday', async (t) => {
  t.equal(weekdaysBetween('2024-05-06', '2024-05-07'), 2)
  t.equal(weekdaysBetween('2024-05-06', '2024-05-26'), 15)
  t.equal(weekdaysBetween('2024-05-04', '2024-05-05'), 0, 'a weekend')
})

t.test('three replicas share the limit: peak ≤ configured, no refusals', async (t) => {
  const simulators = await startSimulatorProcess(t)
  await simulators.configure(simulators.feishuUrl, { latencyMs: 20 })
  await simulators.configure(simulators.dingtalkUrl, { latencyMs: 20 })
  const sources = [
    {
      ...resolveSource({
        id: 'feishu',
        vendor: 'feishu',
        baseUrl: simulators.feishuUrl,
        appId: 'cli_simulator',
        appSecret: 'simulator-secret',
      }),
      rateLimitPerSecond: 12,
    },
    {
      ...resolveSource({
        id: 'dingtalk',
        vendor: 'dingtalk',
        baseUrl: simulators.dingtalkUrl,
        appKey: 'simulator-key',
        appSecret: 'simulator-secret',
      }),
      rateLimitPerSecond: 9,
      // The dates here are of 2024: no retention rule (DingTalk's default keeps half a year).
      retentionDays: 0,
    },
  ]
  const prefix = uniquePrefix()
  const replicas = await Promise.all(
    [0, 1, 2].map(() => startReplica(t, sources, { redisKeyPrefix: prefix })),
  )
  // Per replica: Feishu 800 users × 2 days = 16 chunks × 1 window = 16 calls;
  // DingTalk 150 users × 2 days = 3 chunks × 1 window × 4 pages = 12 calls.
  const answers = await Promise.all(
    replicas.map(({ app }, index) =>
      app.inject({
        method: 'POST',
        url: '/attendance/results',
        payload: {
          from: '2024-05-06',
          to: '2024-05-07',
          users: [...userList('feishu', 800, `r${index}-`), ...userList('dingtalk', 150, `r${index}-`)],
        },
      }),
    ),
  )
  // Each replica: (800 + 150) users × 2 weekdays.
  for (const answer of answers) {
    const body = answer.json<AttendanceResponse>()
    t.equal(body.complete, true)
    t.same(distinctDays(body), { days: 950 * 2, distinct: 950 * 2 }, 'every day once: not empty')
  }
  const feishu = await simulators.counters(simulators.feishuUrl)
  const dingtalk = await simulators.counters(simulators.dingtalkUrl)
  t.equal(feishu.dataCalls, 48, 'Feishu served 3 × 16 calls')
  t.equal(dingtalk.dataCalls, 36, 'DingTalk served 3 × 12 pages')
  // No tolerance: the three replicas share this test's one process, and on a loaded machine a call can be
  // held up between its admission and its socket write; past the 30 ms safety window it is paced again
  // unsent (the write-time check), so it never crowds the next second at the vendor.
  t.ok(feishu.peakPerSecond <= 12, `Feishu peak ${feishu.peakPerSecond}/s ≤ 12/s configured`)
  t.ok(dingtalk.peakPerSecond <= 9, `DingTalk peak ${dingtalk.peakPerSecond}/s ≤ 9/s configured`)
  t.ok(feishu.peakPerSecond >= 11, `…and the limit is used: Feishu peak ${feishu.peakPerSecond}/s`)
  t.ok(dingtalk.peakPerSecond >= 8, `…and the limit is used: DingTalk peak ${dingtalk.peakPerSecond}/s`)
  t.equal(feishu.refusedRateLimit, 0)
  t.equal(dingtalk.refusedRateLimit, 0)
  t.equal(feishu.tokenCalls, 1, 'one Feishu token for the three replicas')
  t.equal(dingtalk.tokenCalls, 1, 'one DingTalk token for the three replicas')
})

t.test(
  'a vendor limit below the configured one: refusals happen and are retried to a complete answer',
  async (t) => {
    const simulators = await startSimulators(t, {
      feishu: { rateLimitPerSecond: 4, rateLimitCountsRefused: false },
      dingtalk: { rateLimitPerSecond: 4, rateLimitCountsRefused: false, rateLimitVariant: '88' },
    })
    const sources = sourcesFor(simulators, {
      feishu: { rateLimitPerSecond: 10 },
      dingtalk: { rateLimitPerSecond: 10 },
    })
    const { app } = await startReplica(t, sources)
    const reference = await startReplica(t, sourcesFor(simulators))
    const payload = {
      from: '2024-05-06',
      to: '2024-05-26',
      users: [...userList('feishu', 300), ...userList('dingtalk', 20)],
    }
    const answer = (
      await app.inject({ method: 'POST', url: '/attendance/results', payload })
    ).json<AttendanceResponse>()
    t.equal(answer.complete, true)
    const expectedDays = 320 * weekdaysBetween(payload.from, payload.to)
    t.same(distinctDays(answer), { days: expectedDays, distinct: expectedDays }, '320 users × 15 weekdays')
    const feishuRefused = simulators.feishu.counters().refusedRateLimit
    const dingTalkRefused = simulators.dingtalk.counters().refusedRateLimit
    t.ok(feishuRefused > 0, `Feishu refused ${feishuRefused} calls (HTTP 429, 99991400)`)
    t.ok(dingTalkRefused > 0, `DingTalk refused ${dingTalkRefused} calls (errcode 88, sub_code 90018)`)
    simulators.feishu.configure({ rateLimitPerSecond: 50 })
    simulators.dingtalk.configure({ rateLimitPerSecond: 20 })
    const clean = (
      await reference.app.inject({ method: 'POST', url: '/attendance/results', payload })
    ).json<AttendanceResponse>()
    t.equal(clean.results.length, expectedDays, 'the reference is not empty either')
    t.same(fetchedDays(answer), fetchedDays(clean), 'the same days as without refusals')
  },
)
