// Check points that have not come have no punch (vendor-docs/FACTS.md: "no row of a day that has not
// happened has a punch time; a future check point is NotSigned with userCheckTime = baseCheckTime or
// absent", and NotSigned rows have no recordId). At the simulator's `dataClock`, a row whose check (its
// userCheckTime) has not happened yet is NotSigned, with userCheckTime = baseCheckTime and no recordId,
// sourceType or approval; every other row is as the whole day has it. Driven over HTTP at a manual clock.
import t, { type Test } from 'tap'
import { createManualClock, type DingTalkRow, dingTalkRowsFor } from '../../src/simulators/index.js'
import { dingTalkList, dingTalkToken, startDingTalk, users } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const USERS = users('d', 7)
const WEEK = ['2024-05-06', '2024-05-07', '2024-05-08', '2024-05-09', '2024-05-10']
const TODAY = '2024-05-08'
const at = (time: string) => Date.parse(`${TODAY}T${time}+08:00`)

const wholeDay = (userId: string, date: string) => dingTalkRowsFor(userId, date, {})

/** Every row of USERS over the week (7 users × 5 weekdays × 2 check points = 70 rows, two pages). */
async function servedAt(t: Test, now: number): Promise<DingTalkRow[]> {
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, dataClock: () => now })
  const token = await dingTalkToken(dingtalk)
  const rows: DingTalkRow[] = []
  for (let offset = 0; ; offset += 50) {
    const body = {
      workDateFrom: '2024-05-06 00:00:00',
      workDateTo: '2024-05-10 00:00:00',
      userIdList: USERS,
      offset,
      limit: 50,
    }
    const answer = await dingTalkList(dingtalk, { token, body })
    if (answer.body.errcode !== 0) throw new Error(JSON.stringify(answer.body))
    rows.push(...answer.body.recordresult)
    if (!answer.body.hasMore) return rows
  }
}

/** The row of a check point that has not come: what the page's NotSigned example shows, and no more. */
function notYet(row: DingTalkRow): DingTalkRow {
  const { baseCheckTime, checkType, corpId, groupId, id, planId, userId, workDate } = row
  return {
    baseCheckTime,
    checkType,
    corpId,
    groupId,
    id,
    planId,
    userId,
    workDate,
    locationResult: 'NotSigned',
    timeResult: 'NotSigned',
    userCheckTime: baseCheckTime,
  }
}

t.test('at 09:10 on Wednesday: earlier days whole, today checked so far, later days unsigned', async (t) => {
  const now = at('09:10:00')
  const served = await servedAt(t, now)
  const whole = USERS.flatMap((userId) => WEEK.flatMap((date) => wholeDay(userId, date)))
  t.equal(served.length, 70, 'one row per check point, whether it has come or not')
  t.same(
    served.map((row) => row.id),
    whole.map((row) => row.id),
  )
  t.same(
    served.filter((row) => row.userCheckTime > now && row.timeResult !== 'NotSigned'),
    [],
    'no check later than now',
  )
  const seen = { made: 0, notYet: 0, future: 0 }
  served.forEach((row, index) => {
    const wholeRow = whole[index] as DingTalkRow
    const date = WEEK[Math.floor(index / 2) % WEEK.length] as string
    if (date < TODAY) t.same(row, wholeRow, `${row.userId} ${date} ${row.checkType}: as the whole day`)
    else if (date > TODAY) {
      seen.future++
      t.same(row, notYet(wholeRow), `${row.userId} ${date} ${row.checkType}: not signed yet`)
    } else if (wholeRow.userCheckTime <= now) {
      seen.made++
      t.same(row, wholeRow, `${row.userId} today ${row.checkType}: made`)
    } else {
      seen.notYet++
      t.same(row, notYet(wholeRow), `${row.userId} today ${row.checkType}: not yet`)
    }
  })
  t.ok(seen.made > 0 && seen.notYet > USERS.length, `both kinds occur today: ${JSON.stringify(seen)}`)
  t.equal(seen.future, 28, 'Thursday and Friday')
})

t.test('the same day at midnight after it is whole', async (t) => {
  const served = await servedAt(t, Date.parse('2024-05-09T00:00:00+08:00'))
  t.same(
    served.filter((row) => row.workDate === Date.parse(`${TODAY}T00:00:00+08:00`)),
    USERS.flatMap((userId) => wholeDay(userId, TODAY)),
  )
})

t.test('dingTalkRowsFor with `now` is exactly what is served at that moment', async (t) => {
  const now = at('18:20:00')
  t.same(
    await servedAt(t, now),
    USERS.flatMap((userId) => WEEK.flatMap((date) => dingTalkRowsFor(userId, date, { now }))),
  )
})

t.test('a day changed by hand is served as it stands too', async (t) => {
  const clock = createManualClock(at('12:00:00'))
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, dataClock: clock.now })
  const token = await dingTalkToken(dingtalk)
  const lateAt = Date.parse('2024-05-09T09:40:00+08:00')
  const changed = dingtalk.setDay('d01', '2024-05-09', {
    checks: { OnDuty: { timeResult: 'Late', userCheckTime: lateAt } },
  })
  const thursday = async () =>
    (
      await dingTalkList(dingtalk, {
        token,
        body: {
          workDateFrom: '2024-05-09 00:00:00',
          workDateTo: '2024-05-09 00:00:00',
          userIdList: ['d01'],
          offset: 0,
          limit: 50,
        },
      })
    ).body.recordresult as DingTalkRow[]
  t.same(await thursday(), changed.map(notYet), 'Thursday has not come')
  clock.set(lateAt)
  t.same(await thursday(), [changed[0], notYet(changed[1] as DingTalkRow)], 'the late check-in, once made')
  clock.set(Date.parse('2024-05-10T00:00:00+08:00'))
  t.same(await thursday(), changed, 'the whole changed day once it is over')
})
