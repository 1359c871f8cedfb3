// monthlyQuota on the Feishu simulator: the Basic edition's calls a month per tenant (FACTS.md). Data calls
// answered 2xx are counted per calendar month (the simulator's zone, on `dataClock`); once the month's
// quota is spent every data call answers HTTP 429 code 99991403 until the month changes. Answers with a
// 4xx or 5xx are not counted, as the vendor says. Over HTTP, at a manual clock.
import t from 'tap'
import { createManualClock } from '../../src/simulators/index.js'
import { admin, feishuQuery, feishuToken, feishuTokenCall, startFeishu } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }
/** The last hour of May in Shanghai; June starts there at 2024-05-31T16:00:00Z. */
const MAY_31_LATE = Date.parse('2024-05-31T23:00:00+08:00')
const JUNE_1_SHANGHAI = Date.parse('2024-06-01T00:00:00+08:00')
const SPENT_CODE = 99991403

t.test(
  'the call that spends the last unit succeeds, the next answers 429 99991403, June starts afresh',
  async (t) => {
    const clock = createManualClock(MAY_31_LATE)
    const feishu = await startFeishu(t, { ...UNLIMITED, monthlyQuota: 3, dataClock: clock.now })
    const token = await feishuToken(feishu)
    const call = () => feishuQuery(feishu, { token, body: week })
    for (let spentSoFar = 1; spentSoFar <= 3; spentSoFar++) {
      const answer = await call()
      t.same([answer.status, answer.body.code], [200, 0], `call ${spentSoFar} of 3`)
      t.equal(feishu.counters().quotaUsed, spentSoFar)
    }
    const refused = await call()
    t.equal(refused.status, 429, 'the fourth call of May')
    t.equal(refused.body.code, SPENT_CODE, 'the quota code, not the rate limit 99991400')
    t.type(refused.body.msg, 'string')
    t.equal(refused.headers.get('x-ogw-ratelimit-reset'), null, 'no rate-limit window to wait for')
    t.same([(await call()).status, (await call()).body.code], [429, SPENT_CODE], 'and every call after it')
    t.match(feishu.counters(), { dataCalls: 6, quotaUsed: 3, quotaRefusals: 3, refusedRateLimit: 0 })
    t.equal((await feishuTokenCall(feishu)).body.code, 0, 'token calls are neither counted nor refused')

    clock.set(JUNE_1_SHANGHAI - 1)
    t.equal((await call()).body.code, SPENT_CODE, 'still May in Shanghai, a millisecond before midnight')
    clock.set(JUNE_1_SHANGHAI)
    t.equal(feishu.counters().quotaUsed, 0, 'a new month, before any call')
    t.equal((await call()).body.code, 0, 'June: the quota is back')
    t.match(feishu.counters(), { dataCalls: 8, quotaUsed: 1, quotaRefusals: 4 })
  },
)

t.test('which calls count: only those answered 2xx', async (t) => {
  const clock = createManualClock(MAY_31_LATE)
  const feishu = await startFeishu(t, { ...UNLIMITED, monthlyQuota: 1, dataClock: clock.now })
  const token = await feishuToken(feishu)
  const badToken = await feishuQuery(feishu, { token: 't-'.padEnd(34, 'f'), body: week })
  t.same([badToken.status, badToken.body.code], [400, 99991663])
  const badParams = await feishuQuery(feishu, { token, body: { ...week, check_date_to: 20240801 } })
  t.same([badParams.status, badParams.body.code], [400, 1220001])
  const invalidUsers = await feishuQuery(feishu, { token, body: { ...week, user_ids: ['invalid_x'] } })
  t.same([invalidUsers.status, invalidUsers.body.code], [400, 1220004])
  feishu.configure({ errorRate: 1 })
  const fault = await feishuQuery(feishu, { token, body: week })
  t.same([fault.status, fault.body.code], [500, 1225000])
  t.equal(feishu.counters().quotaUsed, 0, 'no 4xx or 5xx answer is counted')
  feishu.configure({ errorRate: 0 })
  t.equal((await feishuQuery(feishu, { token, body: week })).body.code, 0, 'the one call of the quota')
  feishu.configure({ errorRate: 1 })
  t.equal(
    (await feishuQuery(feishu, { token, body: week })).body.code,
    SPENT_CODE,
    'the quota comes before the faults',
  )
  t.match(feishu.counters(), { quotaUsed: 1, quotaRefusals: 1 })
})

t.test('counters/reset gives the month its quota back; PATCH changes the quota at once', async (t) => {
  const clock = createManualClock(MAY_31_LATE)
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: clock.now })
  t.equal(feishu.config().monthlyQuota, 0, 'unlimited by default')
  const token = await feishuToken(feishu)
  const code = async () => (await feishuQuery(feishu, { token, body: week })).body.code
  for (let i = 0; i < 3; i++) t.equal(await code(), 0)
  t.equal(feishu.counters().quotaUsed, 3, 'counted without a quota too')

  const patched = await admin(`${feishu.url}/__sim/config`, 'PATCH', { monthlyQuota: 3 })
  t.same([patched.status, patched.body.monthlyQuota], [200, 3])
  t.equal(await code(), SPENT_CODE, 'a quota under what was used refuses at once')
  t.match((await admin(`${feishu.url}/__sim/counters`, 'GET')).body, { quotaUsed: 3, quotaRefusals: 1 })

  const reset = await admin(`${feishu.url}/__sim/counters/reset`, 'POST')
  t.match(reset, { status: 200, body: { quotaUsed: 0, quotaRefusals: 0, dataCalls: 0 } })
  t.equal(await code(), 0, 'after a reset the quota is whole again')
  feishu.configure({ monthlyQuota: 0 })
  for (let i = 0; i < 3; i++) t.equal(await code(), 0, 'back to unlimited')
})

t.test('bad quota options are refused', async (t) => {
  const feishu = await startFeishu(t)
  for (const value of [-1, 0.5, '10000', true]) {
    const answer = await admin(`${feishu.url}/__sim/config`, 'PATCH', { monthlyQuota: value })
    t.same(answer, {
      status: 400,
      body: { error: 'SimulatorOptionsError', message: 'monthlyQuota must be an integer ≥ 0' },
    })
  }
  t.equal(feishu.config().monthlyQuota, 0, 'nothing applied')
})
