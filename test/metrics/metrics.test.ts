// GET /metrics after real queries in demo mode: the series a dashboard reads exist, with the labels and
// the values the queries' own reports give.
import t from 'tap'
import { apiKey } from '../helpers/api-keys.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { buildTestApp } from '../helpers/test-app.js'

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Prometheus text format, samples only (comments skipped); enough for the values the service writes. */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) })
  }
  return samples
}

async function scrape(app: App) {
  const response = await app.inject('/metrics')
  const samples = parseSamples(response.body)
  /** The value of the one sample with this name and these labels (undefined when there is none). */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
    return found[0]?.value
  }
  return { response, samples, value }
}

interface Report {
  source: string
  vendorCalls: number
  status: string
}

/** maxAge=0: every query reaches the vendors (demo mode caches results). */
async function query(app: App, users = 'feishu:u1,dingtalk:d1') {
  const response = await app.inject(
    `/attendance/results?from=2024-05-06&to=2024-05-10&users=${users}&maxAge=0`,
  )
  const body = response.json() as { results: unknown[]; sources: Report[]; complete: boolean }
  const calls = (source: string) => body.sources.find((report) => report.source === source)?.vendorCalls
  return { body, calls }
}

t.test('a demo query shows up in every series, with the report’s numbers', async (t) => {
  const { app } = await buildTestApp(t)
  const { body, calls } = await query(app)
  t.equal(body.results.length, 10)
  t.equal(body.complete, true)

  const { response, value, samples } = await scrape(app)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)

  // Vendor calls by source, endpoint and outcome: the data calls are the report's vendorCalls.
  t.equal(
    value('attendance_vendor_calls_total', { source: 'feishu', endpoint: 'user_tasks/query', outcome: 'ok' }),
    calls('feishu'),
  )
  t.equal(
    value('attendance_vendor_calls_total', {
      source: 'dingtalk',
      endpoint: 'attendance/list',
      outcome: 'ok',
    }),
    calls('dingtalk'),
  )
  t.equal(
    value('attendance_vendor_calls_total', {
      source: 'feishu',
      endpoint: 'tenant_access_token',
      outcome: 'ok',
    }),
    1,
  )
  t.equal(
    value('attendance_vendor_calls_total', { source: 'dingtalk', endpoint: 'gettoken', outcome: 'ok' }),
    1,
  )
  t.same(
    samples.filter(
      (sample) => sample.name === 'attendance_vendor_calls_total' && sample.labels.outcome !== 'ok',
    ),
    [],
    'no failed call',
  )

  // Latency: one observation per call, token calls included.
  t.equal(
    value('attendance_vendor_request_duration_seconds_count', {
      source: 'feishu',
      endpoint: 'user_tasks/query',
    }),
    calls('feishu'),
  )
  t.equal(
    value('attendance_vendor_request_duration_seconds_count', { source: 'dingtalk', endpoint: 'gettoken' }),
    1,
  )
  t.ok(
    (value('attendance_vendor_request_duration_seconds_sum', {
      source: 'feishu',
      endpoint: 'user_tasks/query',
    }) ?? 0) > 0,
  )

  // Every call (data and token) waited for a rate-limit slot once, and once more for each permit that went
  // stale before its request was written (a busy CPU: the request is paced again, unsent).
  for (const source of ['feishu', 'dingtalk']) {
    const stale = value('attendance_rate_limit_stale_permits_total', { source }) ?? 0
    t.equal(
      value('attendance_rate_limit_wait_seconds_count', { source }),
      (calls(source) ?? 0) + 1 + stale,
      `${source}: one wait a call, one more a stale permit (${stale})`,
    )
  }

  t.equal(value('attendance_token_fetches_total', { source: 'feishu' }), 1)
  t.equal(value('attendance_token_fetches_total', { source: 'dingtalk' }), 1)
  t.notOk(
    samples.some((sample) => sample.name === 'attendance_vendor_retries_total'),
    'no retry series before any retry',
  )

  // The query: duration and sizes.
  t.equal(value('attendance_query_duration_seconds_count', { complete: 'true' }), 1)
  t.equal(value('attendance_query_duration_seconds_bucket', { complete: 'true', le: '+Inf' }), 1)
  t.equal(value('attendance_query_users_count'), 1)
  t.equal(value('attendance_query_users_sum'), 2)
  t.equal(value('attendance_query_days_sum'), 5)
  t.equal(value('attendance_query_results_sum'), 10)
  t.equal(value('attendance_query_results_bucket', { le: '10' }), 1)

  // No REDIS_URL: the in-memory store, which always answers.
  t.equal(value('attendance_store_shared', { kind: 'memory' }), 1)

  // Node's process metrics come along.
  t.ok(value('process_cpu_user_seconds_total') !== undefined, 'process metrics')
  t.ok(value('nodejs_eventloop_lag_seconds') !== undefined, 'event-loop lag')

  // A second query reuses the tokens: still one fetch per source.
  await query(app)
  const again = await scrape(app)
  t.equal(again.value('attendance_token_fetches_total', { source: 'feishu' }), 1)
  t.equal(again.value('attendance_token_fetches_total', { source: 'dingtalk' }), 1)
  t.equal(again.value('attendance_query_duration_seconds_count', { complete: 'true' }), 2)
})

t.test('every app counts on its own registry', async (t) => {
  const { app: first } = await buildTestApp(t)
  const { app: second } = await buildTestApp(t)
  await query(first)
  t.equal((await scrape(first)).value('attendance_query_duration_seconds_count', { complete: 'true' }), 1)
  t.equal(
    (await scrape(second)).value('attendance_query_duration_seconds_count', { complete: 'true' }),
    undefined,
  )
})

t.test('a revoked token: the refused call, the retry with a fresh token and the second fetch', async (t) => {
  const { app } = await buildTestApp(t)
  await query(app, 'feishu:u1')
  const feishuUrl = app.config.sources.find((source) => source.id === 'feishu')?.baseUrl
  await fetch(`${feishuUrl}/__sim/tokens/revoke`, { method: 'POST' })
  const { body } = await query(app, 'feishu:u1')
  t.equal(body.complete, true)

  const { value } = await scrape(app)
  t.equal(
    value('attendance_vendor_calls_total', {
      source: 'feishu',
      endpoint: 'user_tasks/query',
      outcome: 'VENDOR_AUTH_FAILED',
    }),
    1,
  )
  t.equal(value('attendance_vendor_retries_total', { source: 'feishu', reason: 'TOKEN_REJECTED' }), 1)
  t.equal(value('attendance_token_fetches_total', { source: 'feishu' }), 2)
})

t.test('a failing vendor: every failed call by its code, and the retries', async (t) => {
  const { app } = await buildTestApp(t, { queryTimeoutMs: 1000 })
  const feishuUrl = app.config.sources.find((source) => source.id === 'feishu')?.baseUrl
  await fetch(`${feishuUrl}/__sim/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ errorRate: 1 }),
  })
  const { body, calls } = await query(app, 'feishu:u1')
  t.equal(body.complete, false)

  const { value } = await scrape(app)
  t.equal(
    value('attendance_vendor_calls_total', {
      source: 'feishu',
      endpoint: 'user_tasks/query',
      outcome: 'VENDOR_UNAVAILABLE',
    }),
    calls('feishu'),
  )
  const retries = value('attendance_vendor_retries_total', { source: 'feishu', reason: 'VENDOR_UNAVAILABLE' })
  // Every failed attempt but the last is retried (the last may be retried too, then cut by the deadline).
  t.ok(retries !== undefined && retries >= 1, 'retried at least once')
  t.ok(retries === (calls('feishu') ?? 0) - 1 || retries === calls('feishu'), 'one retry per failed attempt')
  t.equal(value('attendance_query_duration_seconds_count', { complete: 'false' }), 1)
})

t.test('with Redis: the store gauge says redis, shared', async (t) => {
  const { app } = await buildTestApp(t, { redisUrl: testRedisUrl, redisKeyPrefix: uniquePrefix() })
  t.equal((await scrape(app)).value('attendance_store_shared', { kind: 'redis' }), 1)

  const { app: away } = await buildTestApp(t, {
    redisUrl: 'redis://127.0.0.1:1',
    redisKeyPrefix: uniquePrefix(),
  })
  t.equal((await scrape(away)).value('attendance_store_shared', { kind: 'redis' }), 0)
})

t.test('/metrics is open when API keys guard the data, and not in the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t, {
    apiKeys: [apiKey('reporting', 'a-long-enough-test-key-0123456789')],
  })
  t.equal(
    (await app.inject('/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1')).statusCode,
    401,
  )
  t.equal((await app.inject('/metrics')).statusCode, 200)
  const document = (await app.inject('/docs/json')).json() as { paths: Record<string, unknown> }
  t.notOk(document.paths['/metrics'])
})
