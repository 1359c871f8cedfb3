// The inbound rate limit: RATE_LIMIT_PER_MINUTE requests a minute per API key (per client address without a
// valid key), 429 with Retry-After in the error shape beyond it, one budget for all replicas through Redis,
// never a failure when Redis is away. Health, readiness, docs and metrics are not limited.
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { buildTestApp } from '../helpers/test-app.js'

const OPS = 'ops-rate-key-1234'
const OTHER = 'other-rate-key-5678'

function assertLimited(
  t: Test,
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  max: number,
  who: string,
) {
  t.equal(response.statusCode, 429)
  const retryAfter = Number(response.headers['retry-after'])
  t.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
    `Retry-After ${retryAfter} is 1..60 s`,
  )
  t.equal(response.headers['x-ratelimit-limit'], String(max))
  t.equal(response.headers['x-ratelimit-remaining'], '0')
  t.same(response.json(), {
    statusCode: 429,
    code: 'ATT_RATE_LIMITED',
    error: 'Too Many Requests',
    message: `more than ${max} requests a minute for this ${who}; retry in ${retryAfter} s`,
  })
}

t.test('each key has its own budget; beyond it 429 with Retry-After', async (t) => {
  const { app } = await buildTestApp(t, {
    apiKeys: [apiKey('ops', OPS), apiKey('other', OTHER)],
    rateLimitPerMinute: 3,
  })
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({ url: '/sources', headers: bearer(OPS) })
    t.equal(response.statusCode, 200, `request ${i + 1} of 3`)
    t.equal(response.headers['x-ratelimit-limit'], '3')
    t.equal(response.headers['x-ratelimit-remaining'], String(2 - i))
  }
  assertLimited(t, await app.inject({ url: '/sources', headers: bearer(OPS) }), 3, 'API key')
  // The budget is the key's, over every protected route.
  assertLimited(
    t,
    await app.inject({ method: 'POST', url: '/attendance/results', headers: bearer(OPS), payload: {} }),
    3,
    'API key',
  )
  t.equal(
    (await app.inject({ url: '/sources', headers: bearer(OTHER) })).statusCode,
    200,
    'another key is not affected',
  )

  // Without a valid key the client address is counted, before authentication: guessing keys is limited too.
  for (let i = 0; i < 3; i++)
    t.equal((await app.inject({ url: '/sources', headers: bearer('guess') })).statusCode, 401)
  assertLimited(t, await app.inject('/sources'), 3, 'client address')
  t.equal((await app.inject({ url: '/sources', headers: bearer(OTHER) })).statusCode, 200, 'keys still pass')

  for (const url of ['/healthz', '/readyz', '/docs/json', '/metrics']) {
    for (let i = 0; i < 5; i++) {
      const response = await app.inject(url)
      t.not(response.statusCode, 429, `${url} is not limited`)
      t.equal(response.headers['x-ratelimit-limit'], undefined)
    }
  }
})

t.test('without keys, each client address has its own budget', async (t) => {
  const { app } = await buildTestApp(t, { rateLimitPerMinute: 2 })
  const from = (remoteAddress: string) => app.inject({ url: '/sources', remoteAddress })
  t.equal((await from('10.0.0.1')).statusCode, 200)
  t.equal((await from('10.0.0.1')).statusCode, 200)
  assertLimited(t, await from('10.0.0.1'), 2, 'client address')
  t.equal((await from('10.0.0.2')).statusCode, 200)
})

t.test("a key's own rateLimitPerMinute wins; 0 is unlimited", async (t) => {
  const { app } = await buildTestApp(t, {
    apiKeys: [
      apiKey('batch', OPS, { rateLimitPerMinute: 0 }),
      apiKey('slow', OTHER, { rateLimitPerMinute: 1 }),
    ],
    rateLimitPerMinute: 2,
  })
  for (let i = 0; i < 5; i++)
    t.equal((await app.inject({ url: '/sources', headers: bearer(OPS) })).statusCode, 200)
  t.equal((await app.inject({ url: '/sources', headers: bearer(OTHER) })).statusCode, 200)
  assertLimited(t, await app.inject({ url: '/sources', headers: bearer(OTHER) }), 1, 'API key')
})

t.test('RATE_LIMIT_PER_MINUTE=0 turns the limit off', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('ops', OPS)], rateLimitPerMinute: 0 })
  for (let i = 0; i < 5; i++) {
    const response = await app.inject({ url: '/sources', headers: bearer(OPS) })
    t.equal(response.statusCode, 200)
    t.equal(response.headers['x-ratelimit-limit'], undefined)
  }
})

t.test('replicas sharing Redis share one budget per key', async (t) => {
  const prefix = uniquePrefix()
  const config = {
    apiKeys: [apiKey('ops', OPS)],
    rateLimitPerMinute: 4,
    redisUrl: testRedisUrl,
    redisKeyPrefix: prefix,
  }
  const { app: a } = await buildTestApp(t, config)
  const { app: b } = await buildTestApp(t, config)
  for (const app of [a, b, a, b])
    t.equal((await app.inject({ url: '/sources', headers: bearer(OPS) })).statusCode, 200)
  assertLimited(t, await a.inject({ url: '/sources', headers: bearer(OPS) }), 4, 'API key')
  assertLimited(t, await b.inject({ url: '/sources', headers: bearer(OPS) }), 4, 'API key')

  const redis = new Redis(testRedisUrl)
  t.teardown(() => redis.quit())
  t.equal(
    await redis.get(`${prefix}inbound-rate-limit:key:ops`),
    '6',
    'counted under the app key prefix, by key name',
  )
  const ttl = await redis.pttl(`${prefix}inbound-rate-limit:key:ops`)
  t.ok(ttl > 0 && ttl <= 60_000, 'the count expires with its minute')
})

t.test('a Redis that is away never fails a request: the limit is skipped', async (t) => {
  const { app, logs } = await buildTestApp(t, {
    apiKeys: [apiKey('ops', OPS)],
    rateLimitPerMinute: 1,
    redisUrl: 'redis://127.0.0.1:1',
    redisKeyPrefix: uniquePrefix(),
  })
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({
      url: '/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1',
      headers: bearer(OPS),
    })
    t.equal(response.statusCode, 200, `request ${i + 1} answers`)
  }
  t.equal((await app.inject('/sources')).statusCode, 401, 'authentication still applies')
  t.ok(
    logs.records().some((line) => /inbound rate limit is off/.test(String(line.msg))),
    'start-up says the limit is off',
  )
})
