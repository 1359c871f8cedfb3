// Days that have not happened have no punch (vendor-docs/FACTS.md: "a future day has no check_time; records
// exist only for punches that were made"). At the simulator's `dataClock`, a check whose moment (its punch's
// check_time, or its scheduled time when it has no punch) has not come is `Todo` (未打卡, the documented
// "not checked yet") with no record and no record id; every other check is as the whole day has it. Driven
// over HTTP at a manual clock.
import t, { type Test } from 'tap'
import {
  createManualClock,
  type FeishuTaskRecord,
  type FeishuUserTask,
  feishuTaskFor,
} from '../../src/simulators/index.js'
import { feishuQuery, feishuToken, startFeishu, users } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const USERS = users('u', 30)
/** Monday 2024-05-06 to Friday 2024-05-10; "today" is Wednesday 2024-05-08 in Shanghai. */
const WEEK = [20240506, 20240507, 20240508, 20240509, 20240510]
const TODAY = 20240508
const at = (time: string) => Date.parse(`2024-05-08T${time}+08:00`)
const SIDES = ['in', 'out'] as const

const query = {
  user_ids: USERS,
  check_date_from: 20240506,
  check_date_to: 20240510,
  need_overtime_result: true,
}
/** The whole day, as the simulator serves it once it is over. */
const wholeDay = (userId: string, day: number) => feishuTaskFor(userId, day, { overtime: true })

async function servedAt(t: Test, now: number): Promise<FeishuUserTask[]> {
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: () => now })
  const token = await feishuToken(feishu)
  const answer = await feishuQuery(feishu, { token, body: query })
  if (answer.body.code !== 0) throw new Error(JSON.stringify(answer.body))
  return answer.body.data.user_task_results
}

/** When a check happened or happens: its punch, or its scheduled time when it has none (ms). */
function momentOf(record: FeishuTaskRecord, side: 'in' | 'out'): number {
  const punch = record[`check_${side}_record`]
  return Number(punch ? punch.check_time : record[`check_${side}_shift_time`]) * 1000
}

const notChecked = (record: FeishuTaskRecord, side: 'in' | 'out') => ({
  id: record[`check_${side}_record_id`],
  record: record[`check_${side}_record`],
  result: record[`check_${side}_result`],
  supplement: record[`check_${side}_result_supplement`],
})
const TODO = { id: '', record: undefined, result: 'Todo', supplement: 'None' }

/** Every punch served has a check_time at or before `now`. */
function punchesAfter(tasks: FeishuUserTask[], now: number): string[] {
  return tasks.flatMap((task) =>
    task.records.flatMap((record) =>
      SIDES.filter((side) => {
        const punch = record[`check_${side}_record`]
        return punch !== undefined && Number(punch.check_time) * 1000 > now
      }).map((side) => `${task.user_id} ${task.day} check_${side}`),
    ),
  )
}

t.test(
  'at 09:10 on Wednesday: earlier days whole, today checked so far, later days not at all',
  async (t) => {
    const now = at('09:10:00')
    const served = await servedAt(t, now)
    t.same(
      served.map((task) => `${task.user_id} ${task.day}`),
      USERS.flatMap((userId) => WEEK.map((day) => `${userId} ${day}`)),
      'one task per user and weekday, today and the days after included',
    )
    t.same(punchesAfter(served, now), [], 'no punch later than now')

    const byDay = (day: number) => served.filter((task) => task.day === day)
    t.same(
      [...byDay(20240506), ...byDay(20240507)].sort((a, b) => a.user_id.localeCompare(b.user_id)),
      USERS.flatMap((userId) => [wholeDay(userId, 20240506), wholeDay(userId, 20240507)]),
      'Monday and Tuesday are as the whole days',
    )

    for (const task of [...byDay(20240509), ...byDay(20240510)]) {
      const whole = wholeDay(task.user_id, task.day) as FeishuUserTask
      t.same(
        task.records.map((record) => SIDES.map((side) => notChecked(record, side))),
        whole.records.map(() => [TODO, TODO]),
        `${task.user_id} ${task.day}: every check Todo, no record`,
      )
      t.same(
        task.records.map((record) => [record.check_in_shift_time, record.check_out_shift_time]),
        whole.records.map((record) => [record.check_in_shift_time, record.check_out_shift_time]),
        `${task.user_id} ${task.day}: the schedule is known`,
      )
      t.same({ ...task, records: [] }, { ...whole, records: [] }, 'the task itself is the same')
    }

    const seen = { made: 0, notYet: 0 }
    for (const task of byDay(TODAY)) {
      const whole = wholeDay(task.user_id, TODAY) as FeishuUserTask
      t.equal(task.records.length, whole.records.length)
      whole.records.forEach((wholeRecord, index) => {
        const record = task.records[index] as FeishuTaskRecord
        for (const side of SIDES) {
          const made = momentOf(wholeRecord, side) <= now
          seen[made ? 'made' : 'notYet']++
          t.same(
            notChecked(record, side),
            made ? notChecked(wholeRecord, side) : TODO,
            `${task.user_id} check_${side} of segment ${index}: ${made ? 'as the whole day' : 'not yet'}`,
          )
        }
      })
    }
    t.ok(seen.made > 10 && seen.notYet > 30, `both kinds occur today (${JSON.stringify(seen)})`)
  },
)

t.test('the same day later: what was made stays, and the rest of the day fills in', async (t) => {
  const evening = await servedAt(t, at('18:30:00'))
  const nextDay = await servedAt(t, Date.parse('2024-05-09T00:00:00+08:00'))
  const today = (tasks: FeishuUserTask[]) => tasks.filter((task) => task.day === TODAY)
  t.same(
    today(nextDay),
    USERS.map((userId) => wholeDay(userId, TODAY)),
    'at midnight the day is whole',
  )
  t.same(punchesAfter(evening, at('18:30:00')), [])
  let todo = 0
  for (const [index, task] of today(evening).entries()) {
    const whole = today(nextDay)[index] as FeishuUserTask
    task.records.forEach((record, segment) => {
      for (const side of SIDES) {
        const wholeSide = notChecked(whole.records[segment] as FeishuTaskRecord, side)
        const side_ = notChecked(record, side)
        if (side_.result === 'Todo') todo++
        else t.same(side_, wholeSide, `${task.user_id} check_${side} of segment ${segment}`)
      }
    })
  }
  t.ok(todo > 0, `some checks of the evening (overtime, late check-outs) are still to come: ${todo}`)
})

t.test('feishuTaskFor with `now` is exactly what is served at that moment', async (t) => {
  const now = at('09:10:00')
  const served = await servedAt(t, now)
  t.same(
    served,
    USERS.flatMap((userId) => WEEK.map((day) => feishuTaskFor(userId, day, { overtime: true, now }))),
  )
})

t.test('no day that is over has a Todo check', async (t) => {
  const served = await servedAt(t, Date.parse('2024-06-01T00:00:00+08:00'))
  const todo = served.flatMap((task) =>
    task.records.flatMap((record) =>
      SIDES.filter((side) => record[`check_${side}_result`] === 'Todo').map(() => task.day),
    ),
  )
  t.same(todo, [])
})

t.test('a day changed by hand is served as it stands too', async (t) => {
  const clock = createManualClock(at('12:00:00'))
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: clock.now })
  const token = await feishuToken(feishu)
  const lateAt = String(Date.parse('2024-05-09T09:40:00+08:00') / 1000)
  const changed = feishu.setDay('u01', '2024-05-09', {
    records: [{ check_in_result: 'Late', check_in_time: lateAt }],
  })
  const thursday = async () =>
    (
      await feishuQuery(feishu, {
        token,
        body: {
          user_ids: ['u01'],
          check_date_from: 20240509,
          check_date_to: 20240509,
          need_overtime_result: true,
        },
      })
    ).body.data.user_task_results[0] as FeishuUserTask
  t.same(
    (await thursday()).records.map((record) => [record.check_in_result, record.check_out_result]),
    changed.records.map(() => ['Todo', 'Todo']),
    'Thursday has not come',
  )
  clock.set(Date.parse('2024-05-09T09:40:00+08:00'))
  const checkedIn = await thursday()
  t.same(
    [checkedIn.records[0]?.check_in_result, checkedIn.records[0]?.check_in_record?.check_time],
    ['Late', lateAt],
    'the late check-in, once it is made',
  )
  t.equal(checkedIn.records[0]?.check_out_result, 'Todo')
  clock.set(Date.parse('2024-05-10T00:00:00+08:00'))
  t.same(await thursday(), changed, 'the whole changed day once it is over')
})
