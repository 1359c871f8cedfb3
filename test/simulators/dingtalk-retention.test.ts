// retentionDays: attendance/list serves the days from today − retentionDays on, today in the simulator's
// zone on `dataClock`; older days give no rows. Driven over HTTP at a manual clock.
import t from 'tap'
import { createManualClock, type DingTalkRow, dingTalkRowsFor } from '../../src/simulators/index.js'
import { admin, dingTalkList, dingTalkToken, startDingTalk } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const WEEK = [
  '2024-05-06',
  '2024-05-07',
  '2024-05-08',
  '2024-05-09',
  '2024-05-10',
  '2024-05-11',
  '2024-05-12',
]
/** 2024-11-03 (a Sunday) in Asia/Shanghai is 180 days after Tuesday 2024-05-07. */
const NOV_3_NOON_SHANGHAI = Date.parse('2024-11-03T12:00:00+08:00')

const rows = (userId: string, dates: string[], timezone?: string): DingTalkRow[] =>
  dates.flatMap((date) => dingTalkRowsFor(userId, date, timezone ? { timezone } : {}))
const week = (userIdList: string[], offset = 0, limit = 50) => ({
  workDateFrom: '2024-05-06 00:00:00',
  workDateTo: '2024-05-12 00:00:00',
  userIdList,
  offset,
  limit,
})

t.test('retentionDays 180: the day 180 days back is served, the day before it is not', async (t) => {
  const clock = createManualClock(NOV_3_NOON_SHANGHAI)
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, retentionDays: 180, dataClock: clock.now })
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, { token, body: week(['d01', 'd02']) })
  t.same(answer.body, {
    errcode: 0,
    errmsg: 'ok',
    hasMore: false,
    recordresult: [...rows('d01', WEEK.slice(1)), ...rows('d02', WEEK.slice(1))],
  })
  t.equal(answer.body.recordresult.length, 16, 'Tuesday to Friday for two users; Monday 05-06 is too old')

  clock.set(Date.parse('2024-11-02T23:59:59+08:00'))
  const dayEarlier = await dingTalkList(dingtalk, { token, body: week(['d01']) })
  t.same(dayEarlier.body.recordresult, rows('d01', WEEK), 'a second before midnight, Monday is still served')

  clock.set(Date.parse('2024-11-03T00:00:00+08:00'))
  const atMidnight = await dingTalkList(dingtalk, { token, body: week(['d01']) })
  t.same(atMidnight.body.recordresult, rows('d01', WEEK.slice(1)), 'at local midnight Monday is gone')
  t.equal(dingtalk.counters().rowsServed, 16 + 10 + 8)
})

t.test('"today" is the simulator zone\'s, not UTC\'s', async (t) => {
  // 2024-11-02 16:30 UTC is already 2024-11-03 00:30 in Shanghai.
  const instant = Date.parse('2024-11-02T16:30:00Z')
  const shanghai = await startDingTalk(t, { ...UNLIMITED, retentionDays: 180, dataClock: () => instant })
  const utc = await startDingTalk(t, {
    ...UNLIMITED,
    retentionDays: 180,
    dataClock: () => instant,
    timezone: 'UTC',
  })
  const inShanghai = await dingTalkList(shanghai, {
    token: await dingTalkToken(shanghai),
    body: week(['d01']),
  })
  t.same(inShanghai.body.recordresult, rows('d01', WEEK.slice(1)))
  const inUtc = await dingTalkList(utc, { token: await dingTalkToken(utc), body: week(['d01']) })
  t.same(inUtc.body.recordresult, rows('d01', WEEK, 'UTC'))
})

t.test(
  'a range wholly too old answers errcode 0 and no rows; paging counts only what is served',
  async (t) => {
    const clock = createManualClock(NOV_3_NOON_SHANGHAI)
    const dingtalk = await startDingTalk(t, { ...UNLIMITED, retentionDays: 180, dataClock: clock.now })
    const token = await dingTalkToken(dingtalk)
    const old = await dingTalkList(dingtalk, {
      token,
      body: { ...week(['d01']), workDateFrom: '2024-04-29 00:00:00', workDateTo: '2024-05-05 00:00:00' },
    })
    t.same([old.status, old.body], [200, { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: [] }])
    const served = rows('d01', WEEK.slice(1))
    const first = await dingTalkList(dingtalk, { token, body: week(['d01'], 0, 4) })
    t.same(first.body, { errcode: 0, errmsg: 'ok', hasMore: true, recordresult: served.slice(0, 4) })
    const last = await dingTalkList(dingtalk, { token, body: week(['d01'], 4, 4) })
    t.same(last.body, { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: served.slice(4) })
  },
)

t.test('off by default and when set to 0; PATCH turns it on and off at once', async (t) => {
  const clock = createManualClock(NOV_3_NOON_SHANGHAI)
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, dataClock: clock.now })
  t.equal(dingtalk.config().retentionDays, 0)
  const token = await dingTalkToken(dingtalk)
  const list = async () => (await dingTalkList(dingtalk, { token, body: week(['d01']) })).body.recordresult
  t.same(await list(), rows('d01', WEEK), 'off: every day, however old')
  const patched = await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { retentionDays: 180 })
  t.same([patched.status, patched.body.retentionDays], [200, 180])
  t.same(await list(), rows('d01', WEEK.slice(1)), 'on from the next call, answer cache or not')
  dingtalk.configure({ retentionDays: 178 })
  t.same(await list(), rows('d01', WEEK.slice(3)), '178 days: from Thursday 05-09')
  dingtalk.configure({ retentionDays: 0 })
  t.same(await list(), rows('d01', WEEK), 'off again')
})

t.test('bad retention options are refused', async (t) => {
  const dingtalk = await startDingTalk(t)
  for (const [value, shown] of [
    [-1, '-1'],
    [1.5, '1.5'],
    ['180', '"180"'],
    [null, 'null'],
  ] as const) {
    const answer = await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { retentionDays: value })
    t.same(
      answer,
      {
        status: 400,
        body: { error: 'SimulatorOptionsError', message: 'retentionDays must be an integer ≥ 0' },
      },
      shown,
    )
  }
  t.equal(dingtalk.config().retentionDays, 0, 'nothing applied')
  t.throws(() => dingtalk.configure({ dataClock: () => 0 } as never), {
    name: 'SimulatorOptionsError',
    message: /^dataClock is not an option here/,
  })
  await t.rejects(startDingTalk(t, { dataClock: 1_700_000_000_000 as never, retentionDays: -180 }), {
    name: 'SimulatorOptionsError',
    message: 'dataClock must be a function; retentionDays must be an integer ≥ 0',
  })
})
