// Tokens against the simulators: shared by replicas, replaced when revoked, replaced before expiry.
import { Redis } from 'ioredis'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { createManualClock } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'

const query =
  '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:u2,dingtalk:d1,dingtalk:d2'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 15_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

t.test('two replicas sharing one Redis fetch one token per app between them', async (t) => {
  const simulators = await startSimulators(t)
  const prefix = uniquePrefix()
  const sources = sourcesFor(simulators)
  const [a, b] = [
    await startReplica(t, sources, { redisKeyPrefix: prefix }),
    await startReplica(t, sources, { redisKeyPrefix: prefix }),
  ]
  const answers = await Promise.all([
    a.app.inject(query),
    b.app.inject(query),
    a.app.inject(query),
    b.app.inject(query),
  ])
  for (const answer of answers) t.equal(answer.json<AttendanceResponse>().complete, true)
  t.equal(simulators.feishu.counters().tokenCalls, 1)
  t.equal(simulators.dingtalk.counters().tokenCalls, 1)
})

t.test('a revoked token is replaced and the query completes', async (t) => {
  const simulators = await startSimulators(t)
  const { app } = await startReplica(t, sourcesFor(simulators))
  t.equal((await app.inject(query)).json<AttendanceResponse>().complete, true)
  simulators.feishu.revokeAllTokens()
  simulators.dingtalk.revokeAllTokens()
  const after = (await app.inject(query)).json<AttendanceResponse>()
  t.equal(after.complete, true)
  t.equal(after.results.length, 20)
  for (const simulator of [simulators.feishu, simulators.dingtalk]) {
    const counters = simulator.counters()
    t.equal(counters.tokenCalls, 2, 'one new token')
    t.equal(counters.refusedBadToken, 1, 'after one refusal')
  }
})

t.test('an expired token is replaced before use: the vendor never sees it', async (t) => {
  // The vendors' token time is a manual clock. The app takes no clock, so the service reckons on real time:
  // a 4 s vendor lifetime is cached for half of it (2 s) and due for refresh after a quarter.
  const clock = createManualClock()
  const simulators = await startSimulators(t, {
    feishu: { tokenTtlSeconds: 4, tokenClock: clock.now },
    dingtalk: { tokenTtlSeconds: 4, tokenClock: clock.now },
  })
  const prefix = uniquePrefix()
  const { app } = await startReplica(t, sourcesFor(simulators), { redisKeyPrefix: prefix })
  t.equal((await app.inject(query)).json<AttendanceResponse>().complete, true)
  for (const simulator of [simulators.feishu, simulators.dingtalk])
    t.equal(simulator.counters().tokenCalls, 1)

  // The cached tokens live in the store for as long as they are usable; wait for that, not for a guess.
  const redis = new Redis(testRedisUrl)
  t.teardown(() => redis.quit())
  const cachedTokens = async () =>
    (await redis.keys(`${prefix}token:*`)).filter((key) => !key.endsWith(':lock')).length
  t.equal(await cachedTokens(), 2, 'one cached token per app')
  await until(async () => (await cachedTokens()) === 0, 'the cached tokens to lapse')
  clock.advance(4000) // and the vendors' own lifetime is over: the first tokens are expired there too

  const after = (await app.inject(query)).json<AttendanceResponse>()
  t.equal(after.complete, true)
  t.equal(after.results.length, 20)
  for (const simulator of [simulators.feishu, simulators.dingtalk]) {
    t.equal(simulator.counters().refusedBadToken, 0, 'no call was made with an expired token')
    t.equal(simulator.counters().tokenCalls, 2, 'one new token per app')
  }
})

/** The Feishu data calls the service logged, as [vendor code, attempt], in order. */
const feishuDataCalls = (logs: { records(): Record<string, unknown>[] }) =>
  logs
    .records()
    .filter((line) => line.msg === 'vendor call' && line.endpoint === 'user_tasks/query')
    .map((line) => [line.vendorCode, line.attempt])

const feishuOnly = '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,feishu:u2'

t.test('Feishu 99991677 (expired at the vendor): one new token, the call sent again, complete', async (t) => {
  // The vendor's token clock runs ahead of the service's: the service still holds a token the vendor has
  // let expire (as after a vendor-side expiry earlier than the `expire` it announced).
  const clock = createManualClock()
  const simulators = await startSimulators(t, { feishu: { tokenClock: clock.now } })
  const { app, logs } = await startReplica(t, sourcesFor(simulators))
  t.equal((await app.inject(feishuOnly)).json<AttendanceResponse>().complete, true)
  clock.advance(7200_000)
  const after = (await app.inject(feishuOnly)).json<AttendanceResponse>()
  t.equal(after.complete, true)
  t.equal(after.results.length, 10)
  t.same(feishuDataCalls(logs), [
    [0, 1],
    [99991677, 1],
    [0, 1],
  ])
  t.match(simulators.feishu.counters(), { tokenCalls: 2, refusedBadToken: 1, dataCalls: 3 })
})

t.test('Feishu 99991671 (not a t- token): one new token, the call sent again, complete', async (t) => {
  // The token the replicas share, spoiled in the store: a value without the t- prefix.
  const simulators = await startSimulators(t)
  const prefix = uniquePrefix()
  const sources = sourcesFor(simulators)
  const first = await startReplica(t, sources, { redisKeyPrefix: prefix })
  t.equal((await first.app.inject(feishuOnly)).json<AttendanceResponse>().complete, true)
  const redis = new Redis(testRedisUrl)
  t.teardown(() => redis.quit())
  const [key] = (await redis.keys(`${prefix}token:*`)).filter(
    (name) => !name.endsWith(':lock') && name.includes('feishu'),
  )
  if (key === undefined) throw new Error('no cached Feishu token')
  const cached = JSON.parse((await redis.get(key)) as string) as { token: string }
  t.match(cached.token, /^t-/)
  await redis.set(key, JSON.stringify({ ...cached, token: cached.token.slice(2) }), 'KEEPTTL')

  // A second replica reads the spoiled token from the store (the first keeps a local copy for a second).
  const { app, logs } = await startReplica(t, sources, { redisKeyPrefix: prefix })
  const after = (await app.inject(feishuOnly)).json<AttendanceResponse>()
  t.equal(after.complete, true)
  t.equal(after.results.length, 10)
  t.same(feishuDataCalls(logs), [
    [99991671, 1],
    [0, 1],
  ])
  t.match(simulators.feishu.counters(), { tokenCalls: 2, refusedBadToken: 1 })
})

t.test(
  'bad credentials fail that source fast with VENDOR_AUTH_FAILED; the other source is unaffected',
  async (t) => {
    const simulators = await startSimulators(t)
    const sources = sourcesFor(simulators, { feishu: { appSecret: 'wrong-secret' } as never })
    const { app } = await startReplica(t, sources)
    const body = (
      await app.inject('/attendance/results?from=2024-05-01&to=2024-07-31&users=feishu:u1,dingtalk:d1')
    ).json<AttendanceResponse>()
    const feishu = body.sources.find((source) => source.source === 'feishu')
    t.match(feishu, {
      status: 'error',
      vendorCalls: 0,
      error: { code: 'VENDOR_AUTH_FAILED', vendorCode: 10014 },
    })
    t.same(
      feishu?.missing.map((part) => [part.from, part.to]),
      [
        ['2024-05-01', '2024-05-30'],
        ['2024-05-31', '2024-06-29'],
        ['2024-06-30', '2024-07-29'],
        ['2024-07-30', '2024-07-31'],
      ],
    )
    t.equal(simulators.feishu.counters().tokenCalls, 1, 'no retry of bad credentials')
    t.match(
      body.sources.find((source) => source.source === 'dingtalk'),
      { status: 'ok' },
    )
    t.equal(body.complete, false)
    t.ok(body.results.every((day) => day.source === 'dingtalk') && body.results.length > 0)
  },
)
