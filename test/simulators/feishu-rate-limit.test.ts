// Feishu's per-app limit over a sliding second, driven over HTTP. Refused calls take a place in the window
// (the stricter default). Each API has a window of its own, as the vendor limits each API separately
// (user_tasks/query "50 次/秒"): token calls take no place of the data calls'.
import t from 'tap'
import { type Answer, feishuQuery, feishuTokenCall, sleep, startFeishu } from './helpers.js'

const THROTTLED = { code: 99991400, msg: 'request trigger frequency limit' }
const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }

t.test('a token call and a burst of limit + 10 data calls: exactly the limit is served', async (t) => {
  const feishu = await startFeishu(t)
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  const answers = await Promise.all(
    Array.from({ length: 60 }, () => feishuQuery(feishu, { token, body: week })),
  )
  const accepted = answers.filter((answer) => answer.status === 200 && answer.body.code === 0)
  const refused = answers.filter((answer) => answer.status !== 200)
  t.equal(accepted.length, 50, 'the token call took no place of user_tasks/query')
  t.equal(refused.length, 10)
  for (const answer of refused) {
    t.same([answer.status, answer.body], [429, THROTTLED])
    t.equal(answer.headers.get('x-ogw-ratelimit-limit'), '50')
    t.equal(answer.headers.get('x-ogw-ratelimit-reset'), '1')
    t.equal(answer.headers.get('retry-after'), null, 'Feishu sends no Retry-After')
  }
  t.match(feishu.counters(), { tokenCalls: 1, dataCalls: 60, refusedRateLimit: 10, peakPerSecond: 61 })
  t.equal(feishu.counters().rowsServed, 50 * 5)
})

t.test(
  'each API has its own window; token calls are refused the same way, and the HTTP 400 variant',
  async (t) => {
    const feishu = await startFeishu(t, { rateLimitPerSecond: 3, rateLimitVariant: 400 })
    const token = (await feishuTokenCall(feishu)).body.tenant_access_token
    const data = await Promise.all(
      Array.from({ length: 4 }, () => feishuQuery(feishu, { token, body: week })),
    )
    t.same(
      data.map((answer) => answer.body.code),
      [0, 0, 0, 99991400],
      'user_tasks/query: three in its window, the fourth refused',
    )
    t.equal((await feishuTokenCall(feishu)).body.code, 0, 'the token API still has room: a window of its own')
    const tokens = await Promise.all([feishuTokenCall(feishu), feishuTokenCall(feishu)])
    t.same(
      tokens.map((answer) => answer.body.code),
      [0, 99991400],
      'the token API: its own three, then refused',
    )
    const refused = tokens[1] as Answer
    t.same([refused.status, refused.body], [400, THROTTLED])
    t.equal(refused.headers.get('x-ogw-ratelimit-limit'), '3')
    t.match(feishu.counters(), { tokenCalls: 4, dataCalls: 4, refusedRateLimit: 2, peakPerSecond: 8 })
  },
)

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
