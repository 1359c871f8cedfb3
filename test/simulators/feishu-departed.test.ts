// include_terminated_user: "a new hire may reuse a departed employee's employee_id / employee_no; true
// returns the data of every active and departed employee of the id, false only the active one's or the
// most recent departed one's" (the page beside vendor-docs/FACTS.md). The simulator's departed employees
// are the ids `departed_<yyyyMMdd>…`: the employee who held the id worked until that day and left, and a
// new hire has held it since the next day. The departed employee's days come back only with
// include_terminated_user=true, reckoned at UTC+0 and in no attendance group (group_id "1"): departed
// people have no attendance group, and Feishu then reckons their times at zone 0 (DIRECTORY.md).
import t from 'tap'
import {
  createManualClock,
  type FeishuUserTask,
  feishuTaskFor,
  SimulatorDayError,
} from '../../src/simulators/index.js'
import { feishuQuery, feishuToken, startFeishu } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const WEEK = [20240506, 20240507, 20240508, 20240509, 20240510]
const LEFT = 'departed_20240508_li'
/** Long after the week: every day is over and the departure in effect. */
const JUNE = Date.parse('2024-06-01T12:00:00+08:00')

const body = (userIds: string[], overtime = false) => ({
  user_ids: userIds,
  check_date_from: 20240506,
  check_date_to: 20240510,
  need_overtime_result: overtime,
})
const hire = (day: number, overtime = false) => feishuTaskFor(LEFT, day, { overtime }) as FeishuUserTask
const departed = (day: number, overtime = false) =>
  feishuTaskFor(LEFT, day, { overtime, departed: true }) as FeishuUserTask

t.test('false: the new hire only; true: the departed employee before, then the new hire', async (t) => {
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: () => JUNE })
  const token = await feishuToken(feishu)
  const ask = async (include: boolean, overtime = false) => {
    const answer = await feishuQuery(feishu, {
      token,
      query: `employee_type=employee_id&include_terminated_user=${include}`,
      body: body([LEFT, 'u01'], overtime),
    })
    t.equal(answer.body.code, 0)
    return answer.body.data.user_task_results as FeishuUserTask[]
  }
  const withoutPlain = await ask(false)
  t.same(
    withoutPlain,
    [hire(20240509), hire(20240510), ...WEEK.map((day) => feishuTaskFor('u01', day, { overtime: false }))],
    'false: the days since the new hire joined, nothing before; other users as always',
  )
  t.same(await ask(true), [
    departed(20240506),
    departed(20240507),
    departed(20240508),
    hire(20240509),
    hire(20240510),
    ...WEEK.map((day) => feishuTaskFor('u01', day, { overtime: false })),
  ])
  t.same(
    await ask(true, true),
    [
      ...[20240506, 20240507, 20240508].map((day) => departed(day, true)),
      hire(20240509, true),
      hire(20240510, true),
      ...WEEK.map((day) => feishuTaskFor('u01', day, { overtime: true })),
    ],
    'with need_overtime_result too',
  )
  t.same(
    await ask(false),
    withoutPlain,
    'absent is false (the query without the parameter is the same as false)',
  )
})

t.test('a departed employee: another person, in no group, times reckoned at UTC+0', async (t) => {
  const before = departed(20240507)
  const after = hire(20240509)
  t.not(before.employee_name, after.employee_name, 'another person')
  t.equal(before.user_id, LEFT, 'under the same id')
  t.equal(before.group_id, '1', 'in no attendance group')
  t.equal(before.records[0]?.check_in_shift_time, String(Date.parse('2024-05-07T09:00:00Z') / 1000))
  t.equal(before.records[0]?.check_out_shift_time, String(Date.parse('2024-05-07T18:00:00Z') / 1000))
  t.equal(after.records[0]?.check_in_shift_time, String(Date.parse('2024-05-09T09:00:00+08:00') / 1000))
  t.match(after.group_id, /^\d{19}$/)
  const ids = [...WEEK.slice(0, 3).map((day) => departed(day).result_id), after.result_id]
  t.equal(new Set(ids).size, ids.length, 'result ids stay unique')
})

t.test('before the departure is over, the id is the employee who still holds it', async (t) => {
  const clock = createManualClock(Date.parse('2024-05-08T20:00:00+08:00'))
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: clock.now })
  const token = await feishuToken(feishu)
  const ask = async () =>
    (await feishuQuery(feishu, { token, body: body([LEFT]) })).body.data.user_task_results as FeishuUserTask[]
  t.same(
    await ask(),
    WEEK.map((day) => feishuTaskFor(LEFT, day, { overtime: false, now: clock.now() })),
    'the last working day: still the active employee, the days after it not come',
  )
  clock.set(Date.parse('2024-05-09T00:00:00+08:00'))
  t.same(
    await ask(),
    [20240509, 20240510].map((day) => feishuTaskFor(LEFT, day, { overtime: false, now: clock.now() })),
    'the next day: the days before are the departed employee’s, left out without include_terminated_user',
  )
})

t.test('an id with the prefix but no date is a user like any other; the prefix is an option', async (t) => {
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: () => JUNE, departedUserPrefix: 'gone-' })
  const token = await feishuToken(feishu)
  const served = (userId: string) =>
    feishuQuery(feishu, { token, body: body([userId]) }).then(
      (answer) => answer.body.data.user_task_results as FeishuUserTask[],
    )
  t.same(
    await served('gone-nodate'),
    WEEK.map((day) => feishuTaskFor('gone-nodate', day, { overtime: false })),
  )
  t.same(
    await served(LEFT),
    WEEK.map((day) => feishuTaskFor(LEFT, day, { overtime: false })),
    'another prefix',
  )
  t.same(
    await served('gone-20240507'),
    [20240508, 20240509, 20240510].map((day) => feishuTaskFor('gone-20240507', day, { overtime: false })),
  )
})

t.test('a departed employee’s day cannot be changed by hand; the new hire’s can', async (t) => {
  const feishu = await startFeishu(t, { ...UNLIMITED, dataClock: () => JUNE })
  t.throws(
    () => feishu.setDay(LEFT, '2024-05-07', { records: [{ check_in_result: 'Late' }] }),
    SimulatorDayError,
  )
  t.equal(
    feishu.setDay(LEFT, '2024-05-09', { records: [{ check_in_result: 'Lack' }] }).records[0]?.check_in_result,
    'Lack',
  )
})
