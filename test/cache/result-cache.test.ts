// The result cache over real Redis and the simulators over HTTP: hits, misses and fetchedAt; the same
// answer cold and warm; includeRaw and overtime served from their own entries; coalescing between two
// replicas; Redis killed mid-query.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { privateRedis } from '../helpers/private-redis.js'
import { uniquePrefix } from '../helpers/redis.js'

const from = '2024-05-01'
const to = '2024-05-31'
const fast = { feishu: { rateLimitPerSecond: 10_000 }, dingtalk: { rateLimitPerSecond: 10_000 } }
/** The cache on, as configured by default (the test helper turns it off). */
const cached = { feishu: { cacheTtlSeconds: 21_600 }, dingtalk: { cacheTtlSeconds: 21_600 } }
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/

/** The answer without what differs between a cold and a warm run: fetchedAt and the counters. */
function comparable(body: AttendanceResponse) {
  return {
    complete: body.complete,
    results: body.results.map(({ fetchedAt: _fetchedAt, ...day }) => day),
    sources: body.sources.map(({ vendorCalls: _calls, cache: _cache, ...report }) => report),
  }
}

async function query(app: Awaited<ReturnType<typeof startReplica>>['app'], payload: object) {
  const response = await app.inject({ method: 'POST', url: '/attendance/results', payload })
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  return response.json<AttendanceResponse>()
}

t.test('cold, then warm: every user-day a hit, no vendor call, no token, the same answer', async (t) => {
  const simulators = await startSimulators(t, fast)
  const { app } = await startReplica(t, sourcesFor(simulators, cached))
  const users = [...userList('feishu', 60), ...userList('dingtalk', 60)]
  const userDays = 60 * 31

  const cold = await query(app, { from, to, users })
  t.equal(cold.complete, true)
  t.ok(cold.results.length > 60 * 15, `${cold.results.length} days`)
  for (const report of cold.sources) {
    t.same(report.cache, { hits: 0, misses: userDays }, `${report.source}: all misses`)
    t.ok(report.vendorCalls > 0)
  }
  t.ok(
    cold.results.every((day) => RFC3339.test(day.fetchedAt ?? '')),
    'each day says when it was fetched',
  )
  const callsAfterCold = {
    feishu: simulators.feishu.counters(),
    dingtalk: simulators.dingtalk.counters(),
  }

  const warm = await query(app, { from, to, users })
  for (const report of warm.sources) {
    t.same(report.cache, { hits: userDays, misses: 0 }, `${report.source}: all hits`)
    t.equal(report.vendorCalls, 0)
  }
  t.same(simulators.feishu.counters(), callsAfterCold.feishu, 'Feishu: no call at all, not even a token')
  t.same(simulators.dingtalk.counters(), callsAfterCold.dingtalk, 'DingTalk: no call at all')
  t.same(comparable(warm), comparable(cold), 'the same answer apart from fetchedAt and the counters')
  t.same(
    warm.results.map((day) => day.fetchedAt),
    cold.results.map((day) => day.fetchedAt),
    'fetchedAt is when the vendor answered, kept with the entry',
  )
})

t.test('includeRaw is served from the cache; overtime has entries of its own', async (t) => {
  const simulators = await startSimulators(t, fast)
  const { app } = await startReplica(t, sourcesFor(simulators, cached))
  const users = userList('feishu', 10)
  const plain = await query(app, { from, to, users })
  t.notOk(
    plain.results.some((day) => 'raw' in day),
    'no raw unless asked',
  )
  const raw = await query(app, { from, to, users, includeRaw: true })
  t.equal(raw.sources[0]?.vendorCalls, 0, 'raw rows came from the cache')
  t.ok(raw.results.every((day) => Array.isArray(day.raw) && day.raw.length === 1))
  t.same(
    raw.results.map(({ raw: _raw, ...day }: DayResult) => day),
    plain.results,
  )
  const overtime = await query(app, { from, to, users, overtime: true })
  t.same(overtime.sources[0]?.cache, { hits: 0, misses: 10 * 31 }, 'days with overtime are kept apart')
  t.ok((overtime.sources[0]?.vendorCalls ?? 0) > 0)
})

t.test('maxAge: older entries are fetched again; maxAge=0 reads nothing', async (t) => {
  const simulators = await startSimulators(t, fast)
  const { app } = await startReplica(t, sourcesFor(simulators, cached))
  const users = userList('dingtalk', 5)
  await query(app, { from, to, users })
  const recent = await query(app, { from, to, users, maxAge: 3600 })
  t.same(recent.sources[0]?.cache, { hits: 5 * 31, misses: 0 }, 'an hour old is fine')
  const none = await query(app, { from, to, users, maxAge: 0 })
  t.same(none.sources[0]?.cache, { hits: 0, misses: 5 * 31 })
  t.ok((none.sources[0]?.vendorCalls ?? 0) >= 5, 'every window fetched again')
  const get = await app.inject(`/attendance/results?from=${from}&to=${to}&users=${users.join(',')}&maxAge=x`)
  t.equal(get.statusCode, 400, 'maxAge must be a whole number')
  const negative = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from, to, users, maxAge: -1 },
  })
  t.equal(negative.statusCode, 400)
})

t.test('the same month asked again after one day expired: one call per 50 users for that day', async (t) => {
  const simulators = await startSimulators(t, fast)
  const prefix = uniquePrefix()
  const { app } = await startReplica(t, sourcesFor(simulators, cached), { redisKeyPrefix: prefix })
  const users = userList('feishu', 120)
  await query(app, { from, to, users })
  // Drop the last day's entries, as their TTL would.
  const { Redis } = await import('ioredis')
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')
  t.teardown(() => redis.quit())
  const lastDay = await redis.keys(`${prefix}day:*:${to}`)
  t.equal(lastDay.length, 120, "one entry per user for the month's last day")
  await redis.del(...lastDay)
  const again = await query(app, { from, to, users })
  t.same(again.sources[0]?.cache, { hits: 120 * 30, misses: 120 })
  t.equal(again.sources[0]?.vendorCalls, 3, 'ceil(120 / 50) calls, each for that one day')
})

t.test('two replicas asked the same query at once make the calls of one', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { latencyMs: 100, rateLimitPerSecond: 10_000 } })
  const prefix = uniquePrefix()
  const sources = sourcesFor(simulators, cached)
  const one = await startReplica(t, sources, { redisKeyPrefix: prefix })
  const two = await startReplica(t, sources, { redisKeyPrefix: prefix })
  const users = userList('dingtalk', 100)
  const [a, b] = await Promise.all([query(one.app, { from, to, users }), query(two.app, { from, to, users })])
  const calls = (a.sources[0]?.vendorCalls ?? 0) + (b.sources[0]?.vendorCalls ?? 0)
  t.equal(simulators.dingtalk.counters().dataCalls, calls, 'every data call is counted by one of them')
  // Alone, the query takes this many calls:
  const alone = await query((await startReplica(t, sources)).app, { from, to, users })
  t.equal(calls, alone.sources[0]?.vendorCalls, 'together they made the calls of one query')
  t.same(comparable(a).results, comparable(b).results, 'and gave the same days')
  t.equal(a.complete && b.complete, true)
})

t.test(
  'Redis killed in the middle of a query: every entry a miss, the answer complete and exact',
  async (t) => {
    const redis = await privateRedis(t) // started
    const simulators = await startSimulators(t, { feishu: { latencyMs: 150, rateLimitPerSecond: 10_000 } })
    const sources = sourcesFor(simulators, {
      ...cached,
      feishu: { cacheTtlSeconds: 21_600, maxConcurrency: 1 },
    })
    const users = userList('feishu', 200)
    const reference = await query((await startReplica(t, sources)).app, { from, to, users })
    const { app } = await startReplica(t, sources, { config: { redisUrl: redis.url } })
    const running = query(app, { from, to, users })
    await new Promise((resolve) => setTimeout(resolve, 250))
    await redis.kill()
    const answer = await running
    t.equal(answer.complete, true)
    t.same(comparable(answer).results, comparable(reference).results, 'every day, exactly')
    const again = await query(app, { from, to, users })
    t.equal(again.complete, true, 'and the next query, with Redis still away, too')
    t.same(again.sources[0]?.cache, { hits: 0, misses: 200 * 31 }, 'the cache counts as empty')
  },
)
