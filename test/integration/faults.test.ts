// Vendor faults end in a complete answer (retries) or a report naming what is missing; never a short one.
import t, { type Test } from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

const payload = {
  from: '2024-05-06',
  to: '2024-05-19',
  users: [...userList('feishu', 60), ...userList('dingtalk', 60)],
}
// The simulators hold one day for every user on every weekday (none on weekends): Monday 2024-05-06 to
// Sunday 2024-05-19 is two weeks, 10 weekdays, so a complete answer has 120 × 10 days.
const WEEKDAYS = 10
const DAYS_PER_SOURCE = 60 * WEEKDAYS

/** The days without the time each was fetched at: the same days fetched twice differ only in that. */
function fetchedDays(answer: AttendanceResponse): unknown[] {
  return answer.results.map((day) => {
    const { fetchedAt: _fetchedAt, ...rest } = day as typeof day & { fetchedAt?: string }
    return rest
  })
}

/** Days of the answer by source, each (source, user, date) once. */
function daysBySource(t: Test, answer: AttendanceResponse): Record<string, number> {
  const keys = answer.results.map((day) => `${day.source}/${day.userId}/${day.workDate}`)
  t.equal(new Set(keys).size, keys.length, 'no day twice')
  const counts: Record<string, number> = {}
  for (const day of answer.results) counts[day.source] = (counts[day.source] ?? 0) + 1
  return counts
}

t.test('the payload spans two weeks, so 10 weekdays', async (t) => {
  const days = Array.from({ length: 14 }, (_, i) => new Date(Date.UTC(2024, 4, 6 + i)).getUTCDay())
  t.equal(days.filter((day) => day !== 0 && day !== 6).length, WEEKDAYS)
  t.equal(new Date(Date.UTC(2024, 4, 19)).toISOString().slice(0, 10), payload.to)
})

t.test('with 20% injected faults the answer is complete and identical to the fault-free one', async (t) => {
  // Vendor limits out of the way: every retry here must be one of the injected faults.
  const simulators = await startSimulators(t, {
    feishu: { rateLimitPerSecond: 10_000 },
    dingtalk: { rateLimitPerSecond: 10_000 },
  })
  const { app } = await startReplica(t, sourcesFor(simulators))
  const clean = (
    await app.inject({ method: 'POST', url: '/attendance/results', payload })
  ).json<AttendanceResponse>()
  t.equal(clean.complete, true)
  t.same(
    daysBySource(t, clean),
    { feishu: DAYS_PER_SOURCE, dingtalk: DAYS_PER_SOURCE },
    'not empty: every day',
  )
  simulators.feishu.configure({ errorRate: 0.2 })
  simulators.dingtalk.configure({ errorRate: 0.2 })
  // A second replica (a key prefix of its own): nothing the first one kept is reused, every day is fetched.
  const { app: second } = await startReplica(t, sourcesFor(simulators))
  const faulty = (
    await second.inject({ method: 'POST', url: '/attendance/results', payload })
  ).json<AttendanceResponse>()
  t.equal(faulty.complete, true)
  t.equal(faulty.results.length, 2 * DAYS_PER_SOURCE, 'not empty under faults either')
  t.same(fetchedDays(faulty), fetchedDays(clean), 'the same days as without faults')
  const injected = simulators.feishu.counters().injectedErrors + simulators.dingtalk.counters().injectedErrors
  t.ok(injected > 0, `${injected} faults were injected and retried`)
  const calls = (answer: AttendanceResponse) =>
    answer.sources.reduce((sum, source) => sum + source.vendorCalls, 0)
  t.equal(calls(faulty), calls(clean) + injected, 'vendorCalls counts the retries')
})

t.test('a vendor that hangs: that source reports TIMEOUT, the other is unaffected', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { hangRate: 1, hangMs: 30_000 } })
  const sources = sourcesFor(simulators, { dingtalk: { requestTimeoutMs: 300 } })
  const { app } = await startReplica(t, sources, { config: { queryTimeoutMs: 2500 } })
  const started = Date.now()
  const body = (
    await app.inject({ method: 'POST', url: '/attendance/results', payload })
  ).json<AttendanceResponse>()
  t.comment(`answered in ${Date.now() - started} ms (deadline 2500 ms)`)
  t.equal(body.complete, false)
  // A timeout of the service ended the calls: a hang that ran its 30 s would end with the simulator
  // dropping the connection, a connection error, not TIMEOUT.
  const dingtalk = body.sources.find((source) => source.source === 'dingtalk')
  t.match(dingtalk, { status: 'error', error: { code: 'TIMEOUT' } })
  t.ok(simulators.dingtalk.counters().injectedHangs > 0, 'the calls did reach the hanging vendor')
  t.same(
    dingtalk?.missing.flatMap((part) => part.userIds).length,
    60 * 2,
    'every user of both windows is listed missing',
  )
  t.match(
    body.sources.find((source) => source.source === 'feishu'),
    { status: 'ok', error: null },
  )
  t.same(daysBySource(t, body), { feishu: DAYS_PER_SOURCE }, 'every Feishu day, no DingTalk one')
})

t.test('strict=true turns an incomplete answer into a 502', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { errorRate: 1 } })
  const { app } = await startReplica(t, sourcesFor(simulators), { config: { queryTimeoutMs: 3000 } })
  const response = await app.inject(
    '/attendance/results?from=2024-05-06&to=2024-05-07&users=dingtalk:d1&strict=true',
  )
  t.equal(response.statusCode, 502)
  t.match(response.json(), {
    statusCode: 502,
    code: 'ATT_INCOMPLETE_RESULT',
    error: 'Bad Gateway',
    message: /dingtalk/,
  })
})
