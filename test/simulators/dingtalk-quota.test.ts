// monthlyQuota: data calls counted per calendar month (the simulator's zone, on `dataClock`); once the
// month's quota is spent every data call answers errcode 90020 until the month changes. Over HTTP, at a
// manual clock.
import t from 'tap'
import { createManualClock } from '../../src/simulators/index.js'
import {
  admin,
  dingTalkList,
  dingTalkToken,
  dingTalkTokenCall,
  dingTalkWeek,
  startDingTalk,
} from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const OK = { errcode: 0, errmsg: 'ok' }
const spent = (quota: number) => ({ errcode: 90020, errmsg: `本月api调用量已超过限制,额度:${quota}次` })
/** The last hour of May in Shanghai; June starts there at 2024-05-31T16:00:00Z. */
const MAY_31_LATE = Date.parse('2024-05-31T23:00:00+08:00')
const JUNE_1_SHANGHAI = Date.parse('2024-06-01T00:00:00+08:00')

t.test(
  'the call that spends the last unit succeeds, the next answers 90020, June starts afresh',
  async (t) => {
    const clock = createManualClock(MAY_31_LATE)
    const dingtalk = await startDingTalk(t, { ...UNLIMITED, monthlyQuota: 3, dataClock: clock.now })
    const token = await dingTalkToken(dingtalk)
    const call = async () => (await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body
    for (let spentSoFar = 1; spentSoFar <= 3; spentSoFar++) {
      t.match(await call(), OK, `call ${spentSoFar} of 3`)
      t.equal(dingtalk.counters().quotaUsed, spentSoFar)
    }
    const refused = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
    t.same([refused.status, refused.body], [200, spent(3)], 'the fourth call of May')
    t.same(await call(), spent(3), 'and every call after it')
    t.match(dingtalk.counters(), { dataCalls: 5, quotaUsed: 3, quotaRefusals: 2, rowsServed: 30 })
    t.equal(
      (await dingTalkTokenCall(dingtalk)).body.errcode,
      0,
      'token calls are neither counted nor refused',
    )

    clock.set(JUNE_1_SHANGHAI - 1)
    t.same(await call(), spent(3), 'still May in Shanghai, a millisecond before midnight')
    clock.set(JUNE_1_SHANGHAI)
    t.equal(dingtalk.counters().quotaUsed, 0, 'a new month, before any call')
    t.match(await call(), OK, 'June: the quota is back')
    t.match(dingtalk.counters(), { dataCalls: 7, quotaUsed: 1, quotaRefusals: 3 })
  },
)

t.test('which calls count: those past the token check, whatever the answer', async (t) => {
  const clock = createManualClock(MAY_31_LATE)
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, monthlyQuota: 2, dataClock: clock.now })
  const token = await dingTalkToken(dingtalk)
  const badToken = await dingTalkList(dingtalk, { token: 'f'.repeat(32), body: dingTalkWeek(['d01']) })
  t.equal(badToken.body.errcode, 40014)
  t.equal(dingtalk.counters().quotaUsed, 0, 'a refused token is not counted')
  const badParams = await dingTalkList(dingtalk, { token, body: { ...dingTalkWeek(['d01']), limit: 0 } })
  t.equal(badParams.body.errcode, 40035)
  t.equal(dingtalk.counters().quotaUsed, 1, 'a parameter refusal is counted')
  dingtalk.configure({ errorRate: 1 })
  t.same((await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body, {
    errcode: -1,
    errmsg: '系统繁忙',
  })
  t.equal(dingtalk.counters().quotaUsed, 2, 'an injected fault is counted')
  t.same(
    (await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body,
    spent(2),
    'the quota comes before the faults',
  )
  t.match(dingtalk.counters(), { dataCalls: 4, quotaUsed: 2, quotaRefusals: 1 })
})

t.test('counters/reset gives the month its quota back; PATCH changes the quota at once', async (t) => {
  const clock = createManualClock(MAY_31_LATE)
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, dataClock: clock.now })
  t.equal(dingtalk.config().monthlyQuota, 0, 'unlimited by default')
  const token = await dingTalkToken(dingtalk)
  const call = async () => (await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body
  for (let i = 0; i < 3; i++) t.match(await call(), OK)
  t.equal(dingtalk.counters().quotaUsed, 3, 'counted without a quota too')

  const patched = await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { monthlyQuota: 3 })
  t.same([patched.status, patched.body.monthlyQuota], [200, 3])
  t.same(await call(), spent(3), 'a quota under what was used refuses at once')
  t.match((await admin(`${dingtalk.url}/__sim/counters`, 'GET')).body, { quotaUsed: 3, quotaRefusals: 1 })

  const reset = await admin(`${dingtalk.url}/__sim/counters/reset`, 'POST')
  t.match(reset, { status: 200, body: { quotaUsed: 0, quotaRefusals: 0, dataCalls: 0 } })
  t.match(await call(), OK, 'after a reset the quota is whole again')
  dingtalk.configure({ monthlyQuota: 1 })
  t.same(await call(), spent(1))
  dingtalk.resetCounters()
  t.equal(dingtalk.counters().quotaUsed, 0, 'resetCounters() does the same')
  dingtalk.configure({ monthlyQuota: 0 })
  for (let i = 0; i < 3; i++) t.match(await call(), OK, 'back to unlimited')
})

t.test('bad quota options are refused', async (t) => {
  const dingtalk = await startDingTalk(t)
  for (const value of [-1, 0.5, '10000', true]) {
    const answer = await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { monthlyQuota: value })
    t.same(answer, {
      status: 400,
      body: { error: 'SimulatorOptionsError', message: 'monthlyQuota must be an integer ≥ 0' },
    })
  }
  t.equal(dingtalk.config().monthlyQuota, 0, 'nothing applied')
  await t.rejects(startDingTalk(t, { monthlyQuota: -5 }), {
    name: 'SimulatorOptionsError',
    message: 'monthlyQuota must be an integer ≥ 0',
  })
})
