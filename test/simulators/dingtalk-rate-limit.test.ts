// DingTalk's per-app limit over a sliding second, driven over HTTP. Refused calls take a place in the window
// (the stricter default). Each API has a window of its own, as DingTalk limits calls "per app per API"
// (vendor-docs/FACTS.md): token calls take no place of attendance/list's.
import t from 'tap'
import { createManualClock } from '../../src/simulators/shared/manual-clock.js'
import { type Answer, dingTalkList, dingTalkTokenCall, dingTalkWeek, startDingTalk } from './helpers.js'

const THROTTLED = { errcode: 90018, errmsg: '应用调用该接口超过每秒调用频率上限' }
const THROTTLED_88 = {
  errcode: 88,
  errmsg: 'ding talk error[subcode=90018,submsg=应用调用该接口超过每秒调用频率上限]',
  sub_code: '90018',
  sub_msg: '应用调用该接口超过每秒调用频率上限',
}
/** Every call arrives at the same instant: a burst, whatever the machine's load. */
const AT_ONCE = () => 0
const week = dingTalkWeek(['d01'])

t.test('a token call and a burst of limit + 10 data calls: exactly the limit is served', async (t) => {
  const dingtalk = await startDingTalk(t, { rateClock: AT_ONCE })
  const token = (await dingTalkTokenCall(dingtalk)).body.access_token
  const answers = await Promise.all(
    Array.from({ length: 30 }, () => dingTalkList(dingtalk, { token, body: week })),
  )
  const accepted = answers.filter((answer) => answer.body.errcode === 0)
  const refused = answers.filter((answer) => answer.body.errcode !== 0)
  t.equal(accepted.length, 20, 'the token call took no place of attendance/list')
  t.equal(refused.length, 10)
  for (const answer of refused) t.same([answer.status, answer.body], [200, THROTTLED])
  t.match(dingtalk.counters(), {
    tokenCalls: 1,
    dataCalls: 30,
    refusedRateLimit: 10,
    peakPerSecond: 31,
    rowsServed: 200,
  })
})

t.test('each API has its own window; token calls are refused the same way, and the 88 variant', async (t) => {
  const dingtalk = await startDingTalk(t, { rateClock: AT_ONCE, rateLimitPerSecond: 3 })
  const token = (await dingTalkTokenCall(dingtalk)).body.access_token
  const data = await Promise.all(
    Array.from({ length: 4 }, () => dingTalkList(dingtalk, { token, body: week })),
  )
  t.same(
    data.map((answer) => answer.body.errcode),
    [0, 0, 0, 90018],
    'attendance/list: three in its window, the fourth refused',
  )
  t.equal((await dingTalkTokenCall(dingtalk)).body.errcode, 0, 'gettoken still has room: a window of its own')
  const tokens = await Promise.all([dingTalkTokenCall(dingtalk), dingTalkTokenCall(dingtalk)])
  t.same(
    tokens.map((answer) => answer.body.errcode),
    [0, 90018],
    'gettoken: its own three, then refused',
  )
  t.same([tokens[1]?.status, tokens[1]?.body], [200, THROTTLED])
  dingtalk.configure({ rateLimitVariant: '88' })
  const variant = await dingTalkList(dingtalk, { token, body: week })
  t.same([variant.status, variant.body], [200, THROTTLED_88])
  t.match(dingtalk.counters(), { tokenCalls: 4, dataCalls: 5, refusedRateLimit: 3, peakPerSecond: 9 })
})

t.test('a stream paced under the limit for two seconds is never refused', async (t) => {
  // Arrivals stamped by a manual clock, 20 % under 20/s: each call a full interval after the previous one.
  const clock = createManualClock()
  const dingtalk = await startDingTalk(t, { rateClock: clock.now })
  const token = (await dingTalkTokenCall(dingtalk)).body.access_token
  const interval = (1000 / 20) * 1.25
  const answers: Answer[] = []
  while (clock.now() < 2000) {
    clock.advance(interval)
    answers.push(await dingTalkList(dingtalk, { token, body: week }))
  }
  t.equal(answers.length, 32, 'one call every 62.5 ms for 2 s')
  t.same(
    answers.filter((answer) => answer.body.errcode !== 0),
    [],
    'no refusals',
  )
  const { peakPerSecond, refusedRateLimit } = dingtalk.counters()
  t.equal(refusedRateLimit, 0)
  t.equal(peakPerSecond, 16, 'the busiest second holds 1000 / 62.5 calls')
})

t.test('a stream at exactly the limit is never refused; one call more in a second is', async (t) => {
  const clock = createManualClock()
  const dingtalk = await startDingTalk(t, { rateClock: clock.now })
  const token = (await dingTalkTokenCall(dingtalk)).body.access_token
  const answers: Answer[] = []
  for (let call = 0; call < 60; call++) {
    clock.advance(1000 / 20)
    answers.push(await dingTalkList(dingtalk, { token, body: week }))
  }
  t.same(
    answers.filter((answer) => answer.body.errcode !== 0),
    [],
    'a call every 50 ms for three seconds: no refusal',
  )
  t.equal(dingtalk.counters().peakPerSecond, 20)
  const extra = await dingTalkList(dingtalk, { token, body: week })
  t.ok(extra.body.errcode !== 0, 'a second call at the same instant is one too many')
})
