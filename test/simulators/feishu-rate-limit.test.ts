// Feishu's per-app limit over a sliding second, driven over HTTP. Refused calls take a place in the window
// (the stricter default). Each API has a window of its own, as the vendor limits each API separately
// (user_tasks/query "50 次/秒"): token calls take no place of the data calls'.
import t from 'tap'
import { createManualClock } from '../../src/simulators/shared/manual-clock.js'
import { type Answer, feishuQuery, feishuTokenCall, startFeishu } from './helpers.js'

const THROTTLED = { code: 99991400, msg: 'request trigger frequency limit' }
/** Every call arrives at the same instant: a burst, whatever the machine's load. */
const AT_ONCE = () => 0
const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }

t.test('a token call and a burst of limit + 10 data calls: exactly the limit is served', async (t) => {
  const feishu = await startFeishu(t, { rateClock: AT_ONCE })
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
    const feishu = await startFeishu(t, { rateClock: AT_ONCE, rateLimitPerSecond: 3, rateLimitVariant: 400 })
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
  // Arrivals stamped by a manual clock, 20 % under 50/s: each call a full interval after the previous one.
  const clock = createManualClock()
  const feishu = await startFeishu(t, { rateClock: clock.now })
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  const interval = (1000 / 50) * 1.25
  const answers: Answer[] = []
  while (clock.now() < 2000) {
    clock.advance(interval)
    answers.push(await feishuQuery(feishu, { token, body: week }))
  }
  t.equal(answers.length, 80, 'one call every 25 ms for 2 s')
  t.same(
    answers.filter((answer) => answer.body.code !== 0),
    [],
    'no refusals',
  )
  const { peakPerSecond, refusedRateLimit } = feishu.counters()
  t.equal(refusedRateLimit, 0)
  t.equal(peakPerSecond, 40, 'the busiest second holds 1000 / 25 calls')
})

t.test('a stream at exactly the limit is never refused; one call more in a second is', async (t) => {
  const clock = createManualClock()
  const feishu = await startFeishu(t, { rateClock: clock.now })
  const token = (await feishuTokenCall(feishu)).body.tenant_access_token
  const answers: Answer[] = []
  for (let call = 0; call < 150; call++) {
    clock.advance(1000 / 50)
    answers.push(await feishuQuery(feishu, { token, body: week }))
  }
  t.same(
    answers.filter((answer) => answer.body.code !== 0),
    [],
    'a call every 20 ms for three seconds: no refusal',
  )
  t.equal(feishu.counters().peakPerSecond, 50)
  const extra = await feishuQuery(feishu, { token, body: week })
  t.ok(extra.body.code !== 0, 'a second call at the same instant is one too many')
})
