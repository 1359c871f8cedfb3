// One DingTalk user's day changed by hand (PUT/DELETE /__sim/days/{userId}/{workDate}, setDay/resetDay):
// served from the next attendance/list call on, answer cache or not, and restored on demand.
import t from 'tap'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import { type DingTalkRow, dingTalkRowsFor, SimulatorDayError } from '../../src/simulators/index.js'
import { admin, dingTalkList, dingTalkToken, dingTalkWeek, startDingTalk, users } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const MINUTE = 60_000
const WEEK = Array.from({ length: 7 }, (_, index) =>
  formatWorkDate((parseWorkDate('2024-05-06') ?? 0) + index),
)

const generatedWeek = (userId: string) => WEEK.flatMap((date) => dingTalkRowsFor(userId, date, {}))

/** The first weekday of the week, among 50 users, whose row at `index` satisfies `wanted`. */
function findRow(wanted: (row: DingTalkRow) => boolean, index: 0 | 1) {
  for (const userId of users('d', 50))
    for (const date of WEEK) {
      const rows = dingTalkRowsFor(userId, date, {})
      const row = rows[index]
      if (row && wanted(row)) return { userId, date, rows, row }
    }
  throw new Error('no such row in the data')
}

const dayRequest = (userId: string, date: string, offset = 0, limit = 50) => ({
  workDateFrom: `${date} 00:00:00`,
  workDateTo: `${date} 00:00:00`,
  userIdList: [userId],
  offset,
  limit,
})

t.test('PUT changes fields of a signed row; the list serves it at once; DELETE restores it', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const [onDuty, offDuty] = dingTalkRowsFor('d01', '2024-05-06', {}) as [DingTalkRow, DingTalkRow]
  t.equal(onDuty.timeResult, 'Normal', 'd01 checked in on time that Monday')
  // Fill the simulator's answer cache with the generated week first.
  const before = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same(before.body.recordresult, generatedWeek('d01'))

  const late = onDuty.baseCheckTime + 17 * MINUTE
  const changed = { ...onDuty, timeResult: 'Late', userCheckTime: late }
  const put = await admin(`${dingtalk.url}/__sim/days/d01/2024-05-06`, 'PUT', {
    checks: { OnDuty: { timeResult: 'Late', userCheckTime: late } },
  })
  t.same(put, { status: 200, body: { userId: 'd01', workDate: '2024-05-06', rows: [changed, offDuty] } })

  const after = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same(after.body, {
    errcode: 0,
    errmsg: 'ok',
    hasMore: false,
    recordresult: [changed, offDuty, ...generatedWeek('d01').slice(2)],
  })
  const page = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01'], 0, 1) })
  t.same(page.body.recordresult, [changed], 'a page of one row shows it too')

  t.same(await admin(`${dingtalk.url}/__sim/days/d01/2024-05-06`, 'DELETE'), {
    status: 200,
    body: { userId: 'd01', workDate: '2024-05-06', restored: true },
  })
  const restored = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same(restored.body.recordresult, generatedWeek('d01'), 'the generated day again')
  t.same(await admin(`${dingtalk.url}/__sim/days/d01/2024-05-06`, 'DELETE'), {
    status: 200,
    body: { userId: 'd01', workDate: '2024-05-06', restored: false },
  })
  t.match(dingtalk.counters(), { dataCalls: 4, tokenCalls: 1 }, 'admin calls are not counted')
})

t.test('a signed row made NotSigned is shaped as the vendor shapes one', async (t) => {
  const found = findRow((row) => row.timeResult !== 'NotSigned' && row.procInstId === undefined, 1)
  const { recordId: _recordId, sourceType: _sourceType, ...kept } = found.row
  const notSigned = {
    ...kept,
    locationResult: 'NotSigned',
    timeResult: 'NotSigned',
    userCheckTime: found.row.baseCheckTime,
  }
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const rows = dingtalk.setDay(found.userId, found.date, { checks: { OffDuty: { timeResult: 'NotSigned' } } })
  t.same(rows, [found.rows[0], notSigned])
  t.notOk('recordId' in (rows[1] ?? {}), 'no recordId')
  t.notOk('sourceType' in (rows[1] ?? {}), 'no sourceType')
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, { token, body: dayRequest(found.userId, found.date) })
  t.same(answer.body.recordresult, rows)
})

t.test('a NotSigned row made a check gets its recordId, USER and Normal unless given', async (t) => {
  const found = findRow((row) => row.timeResult === 'NotSigned', 0)
  // The recordId scheme of the generator: the same check point on another day, two ids per day apart.
  const signedDay = findRow((row) => row.timeResult !== 'NotSigned' && found.userId === row.userId, 0)
  const dayGap = (parseWorkDate(found.date) ?? 0) - (parseWorkDate(signedDay.date) ?? 0)
  const recordId = (signedDay.row.recordId ?? 0) + dayGap * 2
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const checkedAt = found.row.baseCheckTime + 45 * MINUTE
  const rows = dingtalk.setDay(found.userId, found.date, {
    checks: { OnDuty: { timeResult: 'SeriousLate', userCheckTime: checkedAt } },
  })
  t.same(rows[0], {
    ...found.row,
    locationResult: 'Normal',
    recordId,
    sourceType: 'USER',
    timeResult: 'SeriousLate',
    userCheckTime: checkedAt,
  })
  t.same(rows[1], found.rows[1], 'the other check point is left alone')
  const outside = dingtalk.setDay(found.userId, found.date, {
    checks: { OnDuty: { timeResult: 'Normal', locationResult: 'Outside', sourceType: 'BEACON' } },
  })
  t.same(
    outside[0],
    {
      ...found.row,
      locationResult: 'Outside',
      recordId,
      sourceType: 'BEACON',
      timeResult: 'Normal',
      userCheckTime: found.row.baseCheckTime,
    },
    'a second PUT starts again from the generated day',
  )
})

t.test('setDay, resetDay and resetDays work in process like the admin routes', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const [d01, d02] = ['d01', 'd02'].map((userId) => dingTalkRowsFor(userId, '2024-05-07', {})) as [
    DingTalkRow[],
    DingTalkRow[],
  ]
  const early = (d01[1]?.baseCheckTime ?? 0) - 30 * MINUTE
  dingtalk.setDay('d01', '2024-05-07', { checks: { OffDuty: { timeResult: 'Early', userCheckTime: early } } })
  dingtalk.setDay('d02', '2024-05-07', { checks: {} })
  const list = async () =>
    (
      await dingTalkList(dingtalk, {
        token,
        body: { ...dayRequest('d01', '2024-05-07'), userIdList: ['d02', 'd01'] },
      })
    ).body.recordresult
  t.same(await list(), [d01[0], { ...d01[1], timeResult: 'Early', userCheckTime: early }, ...d02])
  t.equal(dingtalk.resetDay('d01', '2024-05-07'), true)
  t.equal(dingtalk.resetDay('d01', '2024-05-07'), false)
  t.same(await list(), [...d01, ...d02])
  dingtalk.setDay('d01', '2024-05-08', { checks: {} })
  t.equal(dingtalk.resetDays(), 2, 'd02 on the 7th and d01 on the 8th')
  t.same(await admin(`${dingtalk.url}/__sim/days`, 'DELETE'), { status: 200, body: { restored: 0 } })
})

t.test('a day without rows or a bad override is refused with 400 and changes nothing', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const [onDuty] = dingTalkRowsFor('d01', '2024-05-06', {}) as [DingTalkRow]
  const refused = (message: string) => ({ status: 400, body: { error: 'SimulatorDayError', message } })
  const put = (path: string, body?: unknown) => admin(`${dingtalk.url}/__sim/days/${path}`, 'PUT', body)
  const cases: Array<[string, string, unknown, string]> = [
    [
      'a Saturday',
      'd01/2024-05-11',
      { checks: {} },
      'd01 has no rows on 2024-05-11 (a weekend or an unknown user): there is nothing to override',
    ],
    [
      'an unknown user',
      'unknown_1/2024-05-06',
      { checks: {} },
      'unknown_1 has no rows on 2024-05-06 (a weekend or an unknown user): there is nothing to override',
    ],
    ['not a date', 'd01/2024-02-30', { checks: {} }, 'workDate must be a date as YYYY-MM-DD'],
    ['a compact date', 'd01/20240506', { checks: {} }, 'workDate must be a date as YYYY-MM-DD'],
    [
      'no body',
      'd01/2024-05-06',
      undefined,
      'the override must be a JSON object {"checks": {"OnDuty": {…}, "OffDuty": {…}}}',
    ],
    [
      'rows instead of checks',
      'd01/2024-05-06',
      { rows: [] },
      'the override must be a JSON object {"checks": {"OnDuty": {…}, "OffDuty": {…}}}',
    ],
    [
      'an extra field',
      'd01/2024-05-06',
      { checks: {}, note: 'x' },
      'note is not a field of a DingTalk day override (allowed: checks)',
    ],
    [
      'a check type the day does not have',
      'd01/2024-05-06',
      { checks: { Lunch: { timeResult: 'Normal' } } },
      'checks.Lunch: the day has no Lunch row (it has OnDuty, OffDuty)',
    ],
    [
      'bad values, every one named',
      'd01/2024-05-06',
      { checks: { OnDuty: { timeResult: 'Tardy', userCheckTime: -1, corpId: 'x' } } },
      'checks.OnDuty.timeResult must be one of Normal, Early, Late, SeriousLate, Absenteeism, NotSigned; ' +
        'checks.OnDuty.userCheckTime must be epoch ms (an integer ≥ 0); ' +
        'checks.OnDuty.corpId is not a field here (allowed: timeResult, userCheckTime, locationResult, sourceType)',
    ],
    [
      'a NotSigned check with a time of its own',
      'd01/2024-05-06',
      { checks: { OnDuty: { timeResult: 'NotSigned', userCheckTime: onDuty.baseCheckTime + 1000 } } },
      `checks.OnDuty.userCheckTime must equal baseCheckTime (${onDuty.baseCheckTime}) on a NotSigned check`,
    ],
    [
      'a NotSigned check with a source',
      'd01/2024-05-06',
      { checks: { OnDuty: { timeResult: 'NotSigned', sourceType: 'USER', locationResult: 'Normal' } } },
      'checks.OnDuty.locationResult must be NotSigned on a NotSigned check; checks.OnDuty.sourceType: a NotSigned check has none',
    ],
    [
      'a check with locationResult NotSigned',
      'd01/2024-05-06',
      { checks: { OffDuty: { locationResult: 'NotSigned' } } },
      'checks.OffDuty.locationResult NotSigned belongs to NotSigned checks only',
    ],
    [
      'a check that is not an object',
      'd01/2024-05-06',
      { checks: { OffDuty: 'Late' } },
      'checks.OffDuty must be an object of fields (timeResult, userCheckTime, locationResult, sourceType)',
    ],
  ]
  for (const [name, path, body, message] of cases) t.same(await put(path, body), refused(message), name)
  t.throws(() => dingtalk.setDay('', '2024-05-06', { checks: {} }), SimulatorDayError)
  t.throws(() => dingtalk.resetDay('d01', '2024-5-6'), {
    name: 'SimulatorDayError',
    message: 'workDate must be a date as YYYY-MM-DD',
  })
  const answer = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same(answer.body.recordresult, generatedWeek('d01'), 'nothing was applied')
  t.equal(dingtalk.resetDays(), 0)
})
