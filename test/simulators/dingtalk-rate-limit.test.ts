// DingTalk's per-app limit over a sliding second, driven over HTTP. Refused calls take a place in the window
// (the stricter default). Each API has a window of its own, as DingTalk limits calls "per app per API"
// (vendor-docs/FACTS.md): token calls take no place of attendance/list's.
import t from 'tap'
import {
  type Answer,
  dingTalkList,
  dingTalkTokenCall,
  dingTalkWeek,
  sleep,
  startDingTalk,
} from './helpers.js'

const THROTTLED = { errcode: 90018, errmsg: '应用调用该接口超过每秒调用频率上限' }
const THROTTLED_88 = {
  errcode: 88,
  errmsg: 'ding talk error[subcode=90018,submsg=应用调用该接口超过每秒调用频率上限]',
  sub_code: '90018',
  sub_msg: '应用调用该接口超过每秒调用频率上限',
}
const week = dingTalkWeek(['d01'])

t.test('a token call and a burst of limit + 10 data calls: exactly the limit is served', async (t) => {
  const dingtalk = await startDingTalk(t)
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
  const dingtalk = await startDingTalk(t, { rateLimitPerSecond: 3 })
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
  const dingtalk = await startDingTalk(t)
  const token = (await dingTalkTokenCall(dingtalk)).body.access_token
  const interval = (1000 / 20) * 1.25
  const pending: Array<Promise<Answer>> = []
  const started = performance.now()
  while (performance.now() - started < 2000) {
    pending.push(dingTalkList(dingtalk, { token, body: week }))
    await sleep(interval)
  }
  const answers = await Promise.all(pending)
  t.same(
    answers.filter((answer) => answer.body.errcode !== 0),
    [],
    'no refusals',
  )
  t.ok(pending.length > 20, `${pending.length} calls in 2 s`)
  const { peakPerSecond, refusedRateLimit } = dingtalk.counters()
  t.equal(refusedRateLimit, 0)
  t.ok(peakPerSecond > 10 && peakPerSecond < 20, `peakPerSecond ${peakPerSecond}`)
})
