// Redis that stops answering without closing its connections (SIGSTOP: what a partition, a hung host or a
// failover without RST look like to a client). Every command then waits for its timeout; the store's
// circuit breaker must make that a single wait, not one per operation of every vendor call, and must find
// its way back to the shared state by itself when Redis answers again.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { ResilientStore } from '../../src/store/resilient-store.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { privateRedis } from '../helpers/private-redis.js'
import { uniquePrefix } from '../helpers/redis.js'
import { until, withoutFetchTimes } from './helpers.js'

// Vendor limits out of the way: this test is about the store, not the pacing.
const unlimited = { rateLimitPerSecond: 10_000 }
const fast = { rateLimitPerSecond: 500 }
// Far more than one command timeout plus a token fetch, far less than a timeout per store operation.
const SLACK_MS = 5000

t.test(
  'Redis frozen in the middle of a query: the query completes whole, then the store is shared again',
  async (t) => {
    const redis = await privateRedis(t)
    const simulators = await startSimulators(t, {
      feishu: { ...unlimited, latencyMs: 50 },
      dingtalk: { ...unlimited, latencyMs: 50 },
    })
    const prefix = uniquePrefix()
    // One DingTalk call at a time: 16 calls in a row, each of which needs the store (token, rate limit).
    const sources = sourcesFor(simulators, { feishu: fast, dingtalk: { ...fast, maxConcurrency: 1 } })
    const { app } = await startReplica(t, sources, {
      redisKeyPrefix: prefix,
      config: { redisUrl: redis.url },
    })
    const { store } = app
    if (!(store instanceof ResilientStore)) throw new Error('with REDIS_URL the app runs on a ResilientStore')
    t.equal(store.health().mode, 'shared')

    const payload = {
      from: '2024-05-06',
      to: '2024-06-02',
      users: [...userList('feishu', 60), ...userList('dingtalk', 20)],
    }
    const query = async () => {
      const started = performance.now()
      const response = await app.inject({ method: 'POST', url: '/attendance/results', payload })
      return { response, elapsedMs: performance.now() - started }
    }
    const normal = await query()
    const baseline = normal.response.json<AttendanceResponse>()
    t.equal(baseline.complete, true)

    simulators.dingtalk.resetCounters()
    const answering = query()
    await until(() => simulators.dingtalk.counters().dataCalls >= 3, 'the query to be under way')
    redis.freeze()
    const callsAtFreeze = simulators.dingtalk.counters().dataCalls
    const hung = await answering
    t.equal(hung.response.statusCode, 200)
    t.same(
      withoutFetchTimes(hung.response.json<AttendanceResponse>()),
      withoutFetchTimes(baseline),
      'the whole answer, value for value (apart from when the days were fetched)',
    )
    t.ok(
      simulators.dingtalk.counters().dataCalls - callsAtFreeze >= 10,
      `${simulators.dingtalk.counters().dataCalls - callsAtFreeze} DingTalk calls after Redis froze`,
    )
    t.ok(
      hung.elapsedMs < normal.elapsedMs + SLACK_MS,
      `answered in ${Math.round(hung.elapsedMs)} ms; without Redis hanging ${Math.round(normal.elapsedMs)} ms`,
    )
    t.equal(store.health().mode, 'local-fallback')
    t.equal((await app.inject('/readyz')).statusCode, 503, 'readyz says degraded while Redis is frozen')

    redis.thaw()
    await until(() => store.health().mode === 'shared', 'the store to go back to Redis', 30_000)
    await store.set('after-thaw', 'written through the app', 60_000)
    t.equal(
      await redis.read(`${prefix}after-thaw`),
      'written through the app',
      'what the app writes is in Redis again, with no restart',
    )
    t.equal((await app.inject('/readyz')).statusCode, 200)
    const again = await query()
    t.same(
      withoutFetchTimes(again.response.json<AttendanceResponse>()),
      withoutFetchTimes(baseline),
      'and queries answer as before',
    )
  },
)
