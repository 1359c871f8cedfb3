// One Feishu user's day changed by hand (PUT/DELETE /__sim/days/{userId}/{workDate}, setDay/resetDay):
// served from the next user_tasks/query call on, with and without overtime, and restored on demand.
import t from 'tap'
import {
  type FeishuTaskRecord,
  type FeishuUserTask,
  feishuTaskFor,
  SimulatorDayError,
} from '../../src/simulators/index.js'
import { admin, feishuQuery, feishuToken, startFeishu } from './helpers.js'

const UNLIMITED = { rateLimitPerSecond: 100_000 }
const DAYS = [20240506, 20240507, 20240508, 20240509, 20240510]

const task = (userId: string, day: number, overtime = false) =>
  feishuTaskFor(userId, day, { overtime }) as FeishuUserTask
const segment = (userId: string, day: number, index = 0, overtime = true) =>
  task(userId, day, overtime).records[index] as FeishuTaskRecord
const query = (userId: string, from: number, to: number, overtime = false) => ({
  user_ids: [userId],
  check_date_from: from,
  check_date_to: to,
  need_overtime_result: overtime,
})

t.test('PUT changes a check; the query serves it at once; DELETE restores it', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const generated = segment('u01', 20240507)
  t.match(generated, { check_in_result: 'Normal', check_in_record: { type: 0 } }, 'an app punch on time')
  // Fill the simulator's task cache with the generated week first.
  const before = await feishuQuery(feishu, { token, body: query('u01', 20240506, 20240510) })
  t.same(
    before.body.data.user_task_results,
    DAYS.map((day) => task('u01', day)),
  )

  const late = String(Number(generated.check_in_shift_time) + 25 * 60)
  const changed: FeishuUserTask = {
    ...task('u01', 20240507),
    records: [
      {
        ...generated,
        check_in_result: 'Late',
        check_in_record: {
          ...(generated.check_in_record as NonNullable<typeof generated.check_in_record>),
          check_time: late,
        },
      },
    ],
  }
  const put = await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'PUT', {
    records: [{ check_in_result: 'Late', check_in_time: late }],
  })
  t.same(put, { status: 200, body: { userId: 'u01', workDate: '2024-05-07', task: changed } })

  const after = await feishuQuery(feishu, { token, body: query('u01', 20240506, 20240510) })
  t.same(after.body, {
    code: 0,
    msg: 'success',
    data: {
      user_task_results: DAYS.map((day) => (day === 20240507 ? changed : task('u01', day))),
      invalid_user_ids: [],
      unauthorized_user_ids: [],
    },
  })
  t.same(
    (await feishuQuery(feishu, { token, body: query('u01', 20240507, 20240507, true) })).body.data
      .user_task_results,
    [changed],
    'with need_overtime_result too (the day has no overtime)',
  )

  t.same(await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'DELETE'), {
    status: 200,
    body: { userId: 'u01', workDate: '2024-05-07', restored: true },
  })
  const restored = await feishuQuery(feishu, { token, body: query('u01', 20240506, 20240510) })
  t.same(
    restored.body.data.user_task_results,
    DAYS.map((day) => task('u01', day)),
  )
  t.same((await admin(`${feishu.url}/__sim/days/u01/2024-05-07`, 'DELETE')).body.restored, false)
  t.match(feishu.counters(), { dataCalls: 4, tokenCalls: 1, rowsServed: 16 }, 'admin calls are not counted')
})

t.test('a check without a record made a punch gets one; a punch made Lack loses it', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const generated = segment('u01', 20240506)
  t.match(generated, {
    check_in_result: 'NoNeedCheck',
    check_in_record_id: '',
    check_in_result_supplement: 'ShiftChange',
  })
  const phone = generated.check_out_record?.device_id
  t.ok(phone, "the user's phone, from the app punch that ends the day")
  const made = feishu.setDay('u01', '2024-05-06', { records: [{ check_in_result: 'Normal' }] })
  t.same(made.records, [
    {
      ...generated,
      check_in_record_id: '7498163379911984901',
      check_in_record: {
        user_id: 'u01',
        creator_id: 'u01',
        location_name: '西溪八方城',
        check_time: generated.check_in_shift_time,
        comment: '上班打卡',
        record_id: '7498163379911984901',
        is_field: false,
        is_wifi: false,
        type: 0,
        device_id: phone,
      },
      check_in_result: 'Normal',
      check_in_result_supplement: 'None',
    },
  ])
  t.equal(made.result_id, '7498163379911984900', 'the record id follows the result id, slot 01')

  const lack = feishu.setDay('u01', '2024-05-06', {
    records: [{ check_out_result: 'Lack', check_out_result_supplement: 'CardReplacementApplication' }],
  })
  const { check_out_record: _record, ...withoutRecord } = generated
  t.same(
    lack.records,
    [
      {
        ...withoutRecord,
        check_out_record_id: '',
        check_out_result: 'Lack',
        check_out_result_supplement: 'CardReplacementApplication',
      },
    ],
    'a second PUT starts again from the generated day',
  )
  const system = feishu.setDay('u01', '2024-05-06', {
    records: [{ check_in_result: 'SystemCheck', check_in_time: 1714957260 }],
  })
  t.match(system.records[0], {
    check_in_record_id: '7498163379911984901',
    check_in_record: { check_time: '1714957260', type: 3, record_id: '7498163379911984901' },
    check_in_result: 'SystemCheck',
  })
  t.notOk('device_id' in (system.records[0]?.check_in_record ?? {}), 'a system check has no phone')
  const token = await feishuToken(feishu)
  const answer = await feishuQuery(feishu, { token, body: query('u01', 20240506, 20240506) })
  t.same(answer.body.data.user_task_results, [system])
})

t.test('overtime: a shared record changes in both segments; without overtime only the shift', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const [shift, overtime] = task('u02', 20240506, true).records as [FeishuTaskRecord, FeishuTaskRecord]
  t.equal(overtime.check_in_record_id, shift.check_out_record_id, 'adjacent overtime shares the 18:00 punch')
  const out = String(Number(shift.check_out_shift_time) + 300)
  const punch = { ...(shift.check_out_record as NonNullable<typeof shift.check_out_record>), check_time: out }
  const changed = feishu.setDay('u02', '2024-05-06', {
    records: [{}, { check_in_time: out, check_out_result: 'Early' }],
  })
  const expectedOvertime = {
    ...task('u02', 20240506, true),
    records: [
      { ...shift, check_out_record: punch },
      { ...overtime, check_in_record: punch, check_out_result: 'Early' },
    ],
  }
  t.same(changed, expectedOvertime)
  const served = async (need: boolean) =>
    (await feishuQuery(feishu, { token, body: query('u02', 20240506, 20240506, need) })).body.data
      .user_task_results
  t.same(await served(true), [expectedOvertime])
  t.same(await served(false), [
    { ...task('u02', 20240506), records: [{ ...shift, check_out_record: punch }] },
  ])

  t.equal(feishu.resetDay('u02', '2024-05-06'), true)
  t.same(await served(true), [task('u02', 20240506, true)])
  feishu.setDay('u02', '2024-05-07', { records: [] })
  feishu.setDay('u01', '2024-05-07', { records: [] })
  t.same(await admin(`${feishu.url}/__sim/days`, 'DELETE'), { status: 200, body: { restored: 2 } })
  t.equal(feishu.resetDays(), 0)
})

t.test('a day without a task or a bad override is refused with 400 and changes nothing', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const refused = (message: string) => ({ status: 400, body: { error: 'SimulatorDayError', message } })
  const put = (path: string, body?: unknown) => admin(`${feishu.url}/__sim/days/${path}`, 'PUT', body)
  const noTask = (userId: string, date: string) =>
    `${userId} has no task on ${date} that can be changed (a weekend, an invalid or unauthorized user, or a day of a departed employee): there is nothing to override`
  const cases: Array<[string, string, unknown, string]> = [
    ['a Sunday', 'u01/2024-05-12', { records: [] }, noTask('u01', '2024-05-12')],
    ['an invalid user', 'invalid_1/2024-05-06', { records: [] }, noTask('invalid_1', '2024-05-06')],
    ['an unauthorized user', 'unauth_1/2024-05-06', { records: [] }, noTask('unauth_1', '2024-05-06')],
    ['not a date', 'u01/2024-13-01', { records: [] }, 'workDate must be a date as YYYY-MM-DD'],
    ['no body', 'u01/2024-05-06', undefined, 'the override must be a JSON object {"records": [{…}, …]}'],
    [
      'records not a list',
      'u01/2024-05-06',
      { records: {} },
      'the override must be a JSON object {"records": [{…}, …]}',
    ],
    [
      'an extra field',
      'u01/2024-05-06',
      { records: [], day: 20240507 },
      'day is not a field of a Feishu day override (allowed: records)',
    ],
    [
      'an overtime segment the day does not have',
      'u01/2024-05-06',
      { records: [{}, { check_in_result: 'Normal' }] },
      'records has 2 entries but u01 has 1 segment(s) on 20240506',
    ],
    [
      'bad values, every one named',
      'u01/2024-05-06',
      { records: [{ check_in_result: 'OnTime', check_out_time: '17:00', check_in_record_id: 'x' }] },
      'records[0].check_in_result must be one of NoNeedCheck, SystemCheck, Normal, Early, Late, Lack; ' +
        'records[0].check_out_time must be Unix seconds (a string of digits or an integer ≥ 0); ' +
        'records[0].check_in_record_id is not a field here (allowed: check_in_result, check_out_result, ' +
        'check_in_result_supplement, check_out_result_supplement, check_in_time, check_out_time)',
    ],
    [
      'results the documented enum lacks, and Todo (served only while a check has not come)',
      'u01/2024-05-06',
      { records: [{ check_in_result: 'SeriousLate', check_out_result: 'Todo' }] },
      'records[0].check_in_result must be one of NoNeedCheck, SystemCheck, Normal, Early, Late, Lack; ' +
        'records[0].check_out_result must be one of NoNeedCheck, SystemCheck, Normal, Early, Late, Lack',
    ],
    [
      'a time for a check without a record',
      'u01/2024-05-06',
      { records: [{ check_in_time: '1714957200' }] },
      'records[0].check_in_time: a NoNeedCheck check has no record, so no time',
    ],
    [
      'a supplement that is not one',
      'u01/2024-05-06',
      { records: [{ check_out_result_supplement: 'Holiday' }] },
      'records[0].check_out_result_supplement must be one of None, ManagerModification, CardReplacement, ' +
        'ShiftChange, Travel, Leave, GoOut, CardReplacementApplication, FieldPunch',
    ],
    [
      'a shared record given two times',
      'u02/2024-05-06',
      { records: [{ check_out_time: '1714989700' }, { check_in_time: '1714989800' }] },
      'records[1].check_in_time: record 7619664657711984902 is given two times',
    ],
    [
      'a segment that is not an object',
      'u01/2024-05-06',
      { records: ['Late'] },
      'records[0] must be an object of fields (check_in_result, check_out_result, check_in_result_supplement, ' +
        'check_out_result_supplement, check_in_time, check_out_time)',
    ],
  ]
  for (const [name, path, body, message] of cases) t.same(await put(path, body), refused(message), name)
  t.throws(() => feishu.setDay('u01', '2024/05/06', { records: [] }), SimulatorDayError)
  const answer = await feishuQuery(feishu, { token, body: query('u01', 20240506, 20240510) })
  t.same(
    answer.body.data.user_task_results,
    DAYS.map((day) => task('u01', day)),
    'nothing was applied',
  )
  t.equal(feishu.resetDays(), 0)
})
