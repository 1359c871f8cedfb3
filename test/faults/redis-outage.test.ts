// Redis going away and coming back, on a private redis-server the test starts and kills: queries keep
// answering whole from local state, /readyz says degraded meanwhile, and the replicas go back to the shared
// store (tokens, rate schedule) by themselves when Redis returns.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { privateRedis } from '../helpers/private-redis.js'
import { uniquePrefix } from '../helpers/redis.js'
import { assertAccounted, idsOf, plannedBlocks, sleep, until, withoutFetchTime } from './helpers.js'

interface Readiness {
  status: string
  store: { kind: string; reachable: boolean; mode: string }
}

async function readiness(app: Awaited<ReturnType<typeof startReplica>>['app']) {
  const response = await app.inject('/readyz')
  return { statusCode: response.statusCode, body: response.json<Readiness>() }
}

const READY = {
  statusCode: 200,
  body: { status: 'ready', store: { kind: 'redis', reachable: true, mode: 'shared' } },
}
const DEGRADED = {
  statusCode: 503,
  body: { status: 'degraded', store: { kind: 'redis', reachable: false, mode: 'local-fallback' } },
}

// Vendor limits out of the way: these tests are about the store, not the pacing.
const unlimited = { rateLimitPerSecond: 10_000 }
const fast = { rateLimitPerSecond: 500 }

t.test(
  'Redis killed in the middle of a query: the query completes, readyz is degraded, then all is shared again',
  async (t) => {
    const redis = await privateRedis(t)
    const simulators = await startSimulators(t, {
      feishu: { ...unlimited, latencyMs: 250 },
      dingtalk: { ...unlimited, latencyMs: 250 },
    })
    const prefix = uniquePrefix()
    const { app } = await startReplica(t, sourcesFor(simulators, { feishu: fast, dingtalk: fast }), {
      redisKeyPrefix: prefix,
      config: { redisUrl: redis.url },
    })
    t.match(await readiness(app), READY)
    const payload = {
      from: '2024-05-06',
      to: '2024-06-02',
      users: [...userList('feishu', 60), ...userList('dingtalk', 20)],
    }
    const plans = {
      feishu: plannedBlocks(idsOf('feishu', payload.users), payload.from, payload.to, 30),
      dingtalk: plannedBlocks(idsOf('dingtalk', payload.users), payload.from, payload.to, 7),
    }
    const query = () => app.inject({ method: 'POST', url: '/attendance/results', payload })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)
    const sharedKeys = await redis.keys(prefix)
    t.ok(
      sharedKeys.some((key) => key.startsWith('token:dingtalk:')) &&
        sharedKeys.some((key) => key.startsWith('token:feishu:')),
      'the tokens are in Redis',
    )

    simulators.dingtalk.resetCounters()
    const answering = query()
    // 4 weekly blocks of 4 pages each: the kill comes with most of them still to fetch.
    await until(() => simulators.dingtalk.counters().dataCalls >= 5, 'the query to be under way')
    await redis.kill()
    const callsAtKill = simulators.dingtalk.counters().dataCalls
    await until(async () => (await readiness(app)).statusCode === 503, 'readyz to notice')
    t.match(await readiness(app), DEGRADED, 'degraded while Redis is away')
    const response = await answering
    t.equal(response.statusCode, 200)
    const answer = response.json<AttendanceResponse>()
    t.equal(answer.complete, true, 'the query finished whole from local state')
    assertAccounted(t, answer, baseline, plans)
    t.ok(
      simulators.dingtalk.counters().dataCalls > callsAtKill,
      `${simulators.dingtalk.counters().dataCalls - callsAtKill} vendor calls after Redis went away`,
    )
    t.match(await readiness(app), DEGRADED, 'still degraded after the query')

    await redis.start()
    t.same(await redis.keys(prefix), [], 'a restarted Redis is empty')
    await until(async () => (await readiness(app)).statusCode === 200, 'readyz to see Redis again')
    t.match(await readiness(app), READY, 'ready again, with no restart of the service')
    const again = (await query()).json<AttendanceResponse>()
    t.equal(again.complete, true)
    assertAccounted(t, again, baseline, plans)
    const keys = await redis.keys(prefix)
    t.ok(
      keys.some((key) => key.startsWith('token:dingtalk:')),
      'the DingTalk token is in Redis again',
    )
    t.ok(
      keys.some((key) => key.startsWith('token:feishu:')),
      'the Feishu token is in Redis again',
    )
    t.ok(
      keys.some((key) => key.startsWith('ratelimit:')),
      'the rate schedule is in Redis again',
    )
  },
)

t.test(
  'Redis killed while idle: degraded, queries answer; when it returns two replicas share one token fetch again',
  async (t) => {
    const redis = await privateRedis(t)
    const simulators = await startSimulators(t, { feishu: unlimited, dingtalk: unlimited })
    const prefix = uniquePrefix()
    const sources = sourcesFor(simulators, { feishu: fast, dingtalk: fast })
    const replicaOptions = { redisKeyPrefix: prefix, config: { redisUrl: redis.url } }
    const a = await startReplica(t, sources, replicaOptions)
    const b = await startReplica(t, sources, replicaOptions)
    const query =
      '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:u2,dingtalk:d1,dingtalk:d2'
    const baseline = (await a.app.inject(query)).json<AttendanceResponse>()
    t.equal(baseline.complete, true)
    t.equal(baseline.results.length, 20)

    await redis.kill()
    for (const replica of [a, b]) {
      await until(async () => (await readiness(replica.app)).statusCode === 503, 'readyz to notice')
      t.match(await readiness(replica.app), DEGRADED)
    }
    for (const replica of [a, b]) {
      const answer = (await replica.app.inject(query)).json<AttendanceResponse>()
      t.equal(answer.complete, true, 'answers whole while Redis is away')
      t.same(answer.results.map(withoutFetchTime), baseline.results.map(withoutFetchTime))
    }
    // Each replica fetched a token of its own meanwhile: there is no shared place to put it.
    t.ok(simulators.feishu.counters().tokenCalls >= 2)

    await sleep(300)
    await redis.start()
    for (const replica of [a, b]) {
      await until(async () => (await readiness(replica.app)).statusCode === 200, 'readyz to see Redis again')
      t.match(await readiness(replica.app), READY)
    }
    simulators.feishu.resetCounters()
    simulators.dingtalk.resetCounters()
    const answers = await Promise.all([
      a.app.inject(query),
      b.app.inject(query),
      a.app.inject(query),
      b.app.inject(query),
    ])
    for (const response of answers)
      t.same(
        response.json<AttendanceResponse>().results.map(withoutFetchTime),
        baseline.results.map(withoutFetchTime),
      )
    t.equal(simulators.feishu.counters().tokenCalls, 1, 'one Feishu token fetch for both replicas')
    t.equal(simulators.dingtalk.counters().tokenCalls, 1, 'one DingTalk token fetch for both replicas')
    const keys = await redis.keys(prefix)
    t.ok(
      keys.some((key) => key.startsWith('token:feishu:')) &&
        keys.some((key) => key.startsWith('token:dingtalk:')),
    )
  },
)
