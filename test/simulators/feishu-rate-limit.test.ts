// Feishu's per-app limit over a sliding second, driven over HTTP. Refused calls take a place in the window
// (the stricter default), and token calls count as well.
import t from 'tap'
import { type Answer, feishuQuery, feishuTokenCall, sleep, startFeishu } from './helpers.js'

const THROTTLED = { code: 99991400, msg: 'request trigger frequency limit' }
const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }

t.test('a token call and a burst making limit + 10 calls: exactly the limit is served', async (t) => {
  const feishu = await startFeishu(t)
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  const answers = await Promise.all(
    Array.from({ length: 59 }, () => feishuQuery(feishu, { token, body: week })),
  )
  const accepted = answers.filter((answer) => answer.status === 200 && answer.body.code === 0)
  const refused = answers.filter((answer) => answer.status !== 200)
  t.equal(accepted.length, 49, 'the token call took the 50th place')
  t.equal(refused.length, 10)
  for (const answer of refused) {
    t.same([answer.status, answer.body], [429, THROTTLED])
    t.equal(answer.headers.get('x-ogw-ratelimit-limit'), '50')
    t.equal(answer.headers.get('x-ogw-ratelimit-reset'), '1')
    t.equal(answer.headers.get('retry-after'), null, 'Feishu sends no Retry-After')
  }
  t.match(feishu.counters(), { tokenCalls: 1, dataCalls: 59, refusedRateLimit: 10, peakPerSecond: 60 })
  t.equal(feishu.counters().rowsServed, 49 * 5)
})

t.test('token calls are refused the same way, and the HTTP 400 variant', async (t) => {
  const feishu = await startFeishu(t, { rateLimitPerSecond: 3, rateLimitVariant: 400 })
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  const first = await Promise.all([feishuTokenCall(feishu), feishuQuery(feishu, { token, body: week })])
  t.same(
    first.map((answer) => answer.body.code),
    [0, 0],
  )
  const second = await Promise.all([feishuTokenCall(feishu), feishuQuery(feishu, { token, body: week })])
  for (const answer of second) {
    t.same([answer.status, answer.body], [400, THROTTLED])
    t.equal(answer.headers.get('x-ogw-ratelimit-limit'), '3')
  }
  t.match(feishu.counters(), { tokenCalls: 3, dataCalls: 2, refusedRateLimit: 2, peakPerSecond: 5 })
})

t.test('a stream paced under the limit for two seconds is never refused', async (t) => {
  const feishu = await startFeishu(t)
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  // 20 % under 50/s; each call leaves a full interval after the previous one, so pacing never bursts.
  const interval = (1000 / 50) * 1.25
  const pending: Array<Promise<Answer>> = []
  const started = performance.now()
  while (performance.now() - started < 2000) {
    pending.push(feishuQuery(feishu, { token, body: week }))
    await sleep(interval)
  }
  const answers = await Promise.all(pending)
  t.same(
    answers.filter((answer) => answer.body.code !== 0),
    [],
    'no refusals',
  )
  t.ok(pending.length > 50, `${pending.length} calls in 2 s`)
  const { peakPerSecond, refusedRateLimit } = feishu.counters()
  t.equal(refusedRateLimit, 0)
  t.ok(peakPerSecond > 25 && peakPerSecond < 50, `peakPerSecond ${peakPerSecond}`)
})
