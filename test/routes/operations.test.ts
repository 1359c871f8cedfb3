import t from 'tap'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { buildTestApp } from '../helpers/test-app.js'

t.test('healthz', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject('/healthz')
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('readyz with the in-memory store', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject('/readyz')
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    status: 'ready',
    underPressure: false,
    store: { kind: 'memory', reachable: true, mode: 'shared' },
    sources: 2,
  })
})

t.test('readyz with Redis, and with a Redis that does not answer', async (t) => {
  const { app } = await buildTestApp(t, { redisUrl: testRedisUrl, redisKeyPrefix: uniquePrefix() })
  let ready = await app.inject('/readyz')
  for (let tries = 0; ready.statusCode !== 200 && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100)) // the first connection may still be opening
    ready = await app.inject('/readyz')
  }
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', store: { kind: 'redis', reachable: true } })

  const { app: away } = await buildTestApp(t, {
    redisUrl: 'redis://127.0.0.1:1',
    redisKeyPrefix: uniquePrefix(),
  })
  const degraded = await away.inject('/readyz')
  t.equal(degraded.statusCode, 503)
  t.same(degraded.json(), {
    status: 'degraded',
    underPressure: false,
    store: { kind: 'redis', reachable: false, mode: 'local-fallback' },
    sources: 2,
  })
  const query = await away.inject(
    '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1',
  )
  t.equal(query.statusCode, 200, 'queries still answer from local state')
  t.equal(query.json().complete, true)
  t.equal(query.json().results.length, 10)
})

t.test('sources lists the configured sources without credentials', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject('/sources')
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body.sources, [
    {
      id: 'feishu',
      vendor: 'feishu',
      timezone: 'Asia/Shanghai',
      rateLimitPerSecond: 45,
      maxUsersPerCall: 50,
      maxDaysPerCall: 30,
    },
    {
      id: 'dingtalk',
      vendor: 'dingtalk',
      timezone: 'Asia/Shanghai',
      rateLimitPerSecond: 19,
      maxUsersPerCall: 50,
      maxDaysPerCall: 7,
    },
  ])
  t.notMatch(response.body, /secret/i)
  t.notMatch(response.body, /appId|appKey/)
})

t.test('an unknown route answers 404 in the error shape', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject('/nope')
  t.equal(response.statusCode, 404)
  t.same(response.json(), {
    statusCode: 404,
    code: 'ATT_NOT_FOUND',
    error: 'Not Found',
    message: 'no route GET /nope',
  })
})
