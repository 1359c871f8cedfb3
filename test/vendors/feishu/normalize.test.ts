// Feishu user_tasks/query entries → DayResults, following the mapping tables of src/schemas/day-result.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { Check, DayResult } from '../../../src/schemas/day-result.js'
import { normalizeFeishuTasks } from '../../../src/vendors/feishu/normalize.js'
import type {
  FeishuEnvelope,
  FeishuTaskRecord,
  FeishuUserFlow,
  FeishuUserTaskQueryData,
  FeishuUserTaskResult,
} from '../../../src/vendors/feishu/types.js'
import type { NormalizeContext } from '../../../src/vendors/normalize-types.js'

const example = JSON.parse(
  readFileSync(new URL('../../fixtures/feishu-user-tasks-example.json', import.meta.url), 'utf8'),
) as FeishuEnvelope<FeishuUserTaskQueryData>
const exampleTasks = example.data?.user_task_results ?? []

const context: NormalizeContext = { source: 'feishu-cn', timezone: 'Asia/Shanghai', includeRaw: false }
const inZone = (timezone: string): NormalizeContext => ({ ...context, timezone })

const NINE = '1609722000' // 2021-01-04T09:00:00+08:00
const SIX = '1609754400' // 2021-01-04T18:00:00+08:00

const flow = (fields: Partial<FeishuUserFlow> = {}): FeishuUserFlow => ({
  user_id: 'u1',
  location_name: 'HQ',
  check_time: '1609721700', // 08:55
  is_field: false,
  type: 0,
  ...fields,
})

const record = (fields: Partial<FeishuTaskRecord> = {}): FeishuTaskRecord => ({
  check_in_record_id: 'in-1',
  check_in_record: flow(),
  check_out_record_id: 'out-1',
  check_out_record: flow({ check_time: '1609754700' }), // 18:05
  check_in_result: 'Normal',
  check_out_result: 'Normal',
  check_in_result_supplement: 'None',
  check_out_result_supplement: 'None',
  check_in_shift_time: NINE,
  check_out_shift_time: SIX,
  task_shift_type: 0,
  ...fields,
})

const task = (fields: Partial<FeishuUserTaskResult> = {}): FeishuUserTaskResult => ({
  result_id: 'r1',
  user_id: 'u1',
  employee_name: 'Li Lei',
  day: 20210104,
  group_id: '7',
  shift_id: '9',
  records: [record()],
  ...fields,
})

/** The check-in of the only segment of the only day. */
const checkInOf = (entry: FeishuUserTaskResult, ctx = context): Check | null =>
  normalizeFeishuTasks([entry], ctx).days[0]?.segments[0]?.checkIn ?? null

t.test("the vendor's documented example", async (t) => {
  const exampleCheck = {
    result: 'system',
    vendorResult: 'SystemCheck',
    checkedAt: '2021-01-24T16:18:04+08:00', // check_time 1611476284
    approvalId: null,
    resultSupplement: 'None',
    locationName: '西溪八方城',
    locationResult: 'outside', // is_field: true
    vendorLocationResult: null,
    method: 'import', // type 7
    vendorMethod: '7',
  }
  const expected: DayResult[] = [
    {
      source: 'feishu-cn',
      vendor: 'feishu',
      userId: 'abd754f7',
      employeeName: '张三',
      workDate: '2019-08-19',
      timezone: 'Asia/Shanghai',
      groupId: '6737202939523236110',
      shiftId: '6753520403404030215',
      segments: [
        {
          overtime: false,
          checkIn: {
            ...exampleCheck,
            scheduledAt: '2021-01-04T09:00:00+08:00', // 1609722000
            recordId: '6709359313699356941',
          } as Check,
          checkOut: {
            ...exampleCheck,
            scheduledAt: '2021-01-04T18:00:00+08:00', // 1609754400
            recordId: '6709359313699356942',
          } as Check,
        },
      ],
    },
  ]
  const outcome = normalizeFeishuTasks(exampleTasks, context)
  t.strictSame(outcome, { days: expected, skippedRows: 0 })
  t.notOk(Object.hasOwn(outcome.days[0] ?? {}, 'raw'), 'no raw key without includeRaw')
})

t.test('includeRaw keeps the entry behind each day', async (t) => {
  const outcome = normalizeFeishuTasks(exampleTasks, { ...context, includeRaw: true })
  const day = outcome.days[0]
  t.equal(day?.raw?.length, 1)
  t.equal(day?.raw?.[0], exampleTasks[0], 'the vendor object itself')
  t.same(Object.keys(day ?? {}).at(-1), 'raw')
})

t.test('check_in_result / check_out_result map to result; vendorResult keeps the string', async (t) => {
  const cases: [unknown, string, Check['result']][] = [
    ['Normal', 'Normal', 'normal'],
    ['Early', 'Early', 'early'],
    ['Late', 'Late', 'late'],
    ['SeriousLate', 'SeriousLate', 'serious_late'],
    ['Lack', 'Lack', 'missing'],
    ['Todo', 'Todo', 'pending'],
    ['NoNeedCheck', 'NoNeedCheck', 'not_required'],
    ['SystemCheck', 'SystemCheck', 'system'],
    ['Invalid', 'Invalid', 'unknown'],
    ['None', 'None', 'unknown'],
    ['normal', 'normal', 'unknown'],
    ['', '', 'unknown'],
    [undefined, '', 'unknown'],
  ]
  for (const [vendor, vendorResult, result] of cases) {
    const entry = task({
      records: [record({ check_in_result: vendor as string, check_out_result: vendor as string })],
    })
    const segment = normalizeFeishuTasks([entry], context).days[0]?.segments[0]
    t.hasStrict(segment?.checkIn, { result, vendorResult }, `check-in ${String(vendor)} → ${result}`)
    t.hasStrict(segment?.checkOut, { result, vendorResult }, `check-out ${String(vendor)} → ${result}`)
  }
})

t.test('record type maps to method; vendorMethod is the type as a string', async (t) => {
  const cases: [unknown, Check['method'], string | null][] = [
    [0, 'user', '0'],
    [1, 'admin_edit', '1'],
    [2, 'correction', '2'],
    [3, 'system', '3'],
    [4, 'auto_check_out', '4'],
    [5, 'attendance_machine', '5'],
    [6, 'quick_check', '6'],
    [7, 'import', '7'],
    [8, 'unknown', '8'],
    ['5', 'attendance_machine', '5'],
    ['machine', 'unknown', 'machine'],
    [undefined, null, null],
  ]
  for (const [type, method, vendorMethod] of cases) {
    const check = checkInOf(task({ records: [record({ check_in_record: flow({ type: type as number }) })] }))
    t.hasStrict(check, { method, vendorMethod }, `type ${String(type)} → ${method}`)
  }
  const noRecord = checkInOf(task({ records: [record({ check_in_record: undefined })] }))
  t.hasStrict(noRecord, { method: null, vendorMethod: null }, 'no record, no method')
})

t.test('checkedAt is the record check_time, null when the person did not check', async (t) => {
  const cases: [string, Partial<FeishuTaskRecord>, string | null][] = [
    ['Normal with a record', {}, '2021-01-04T08:55:00+08:00'],
    [
      'Late with a record',
      { check_in_result: 'Late', check_in_record: flow({ check_time: '1609722300' }) },
      '2021-01-04T09:05:00+08:00',
    ],
    [
      'check_time as a number',
      { check_in_record: flow({ check_time: 1609722300 }) },
      '2021-01-04T09:05:00+08:00',
    ],
    ['Lack, even with a record', { check_in_result: 'Lack' }, null],
    ['Todo, even with a record', { check_in_result: 'Todo' }, null],
    ['no record', { check_in_record: undefined, check_in_record_id: '' }, null],
    ['empty check_time', { check_in_record: flow({ check_time: '' }) }, null],
    ['zero check_time', { check_in_record: flow({ check_time: '0' }) }, null],
    ['garbage check_time', { check_in_record: flow({ check_time: 'soon' }) }, null],
  ]
  for (const [name, fields, checkedAt] of cases) {
    t.equal(checkInOf(task({ records: [record(fields)] }))?.checkedAt, checkedAt, name)
  }
})

t.test('record ids, supplement, location', async (t) => {
  const cases: [string, Partial<FeishuTaskRecord>, Partial<Check>][] = [
    ['ids and names as given', {}, { recordId: 'in-1', resultSupplement: 'None', locationName: 'HQ' }],
    ['empty record id is null', { check_in_record_id: '' }, { recordId: null }],
    ['absent record id is null', { check_in_record_id: undefined }, { recordId: null }],
    [
      'supplement verbatim',
      { check_in_result_supplement: 'CardReplacementApplication' },
      { resultSupplement: 'CardReplacementApplication' },
    ],
    ['absent supplement is null', { check_in_result_supplement: undefined }, { resultSupplement: null }],
    ['field check is outside', { check_in_record: flow({ is_field: true }) }, { locationResult: 'outside' }],
    ['other checks say nothing', { check_in_record: flow({ is_field: false }) }, { locationResult: null }],
    ['is_field absent', { check_in_record: flow({ is_field: undefined }) }, { locationResult: null }],
    ['no record, no location', { check_in_record: undefined }, { locationResult: null, locationName: null }],
    ['absent location name', { check_in_record: flow({ location_name: undefined }) }, { locationName: null }],
  ]
  for (const [name, fields, expected] of cases) {
    const check = checkInOf(task({ records: [record(fields)] }))
    t.hasStrict(check, { ...expected, approvalId: null, vendorLocationResult: null }, name)
  }
})

t.test('a side the vendor says nothing about is null', async (t) => {
  const onlyOut: FeishuTaskRecord = {
    check_out_record_id: 'out-1',
    check_out_result: 'Normal',
    check_out_shift_time: SIX,
  }
  const segment = normalizeFeishuTasks([task({ records: [onlyOut] })], context).days[0]?.segments[0]
  t.equal(segment?.checkIn, null)
  t.hasStrict(segment?.checkOut, {
    result: 'normal',
    scheduledAt: '2021-01-04T18:00:00+08:00',
    checkedAt: null,
  })
})

t.test('segments come in scheduled order, normal before overtime at the same time', async (t) => {
  const overtime = record({
    check_in_shift_time: SIX,
    check_out_shift_time: '1609758000', // 19:00
    task_shift_type: 1,
    check_in_record_id: 'shared',
    check_out_record_id: 'ot-out',
  })
  const evening = record({
    check_in_shift_time: SIX,
    check_out_shift_time: '1609761600',
    check_in_record_id: 'evening',
  })
  const morning = record({ check_in_record_id: 'morning' })
  const unscheduled = record({
    check_in_shift_time: undefined,
    check_out_shift_time: '',
    check_in_record_id: 'none',
  })
  const outOnly = record({
    check_in_shift_time: undefined,
    check_out_shift_time: '1609750800',
    check_in_record_id: 'out-only',
  })
  const day = normalizeFeishuTasks(
    [task({ records: [unscheduled, overtime, evening, outOnly, morning] })],
    context,
  ).days[0]
  t.same(
    day?.segments.map((segment) => [segment.checkIn?.recordId, segment.overtime]),
    [
      ['morning', false],
      ['out-only', false],
      ['evening', false],
      ['shared', true],
      ['none', false],
    ],
  )
  t.equal(day?.segments[3]?.checkOut?.scheduledAt, '2021-01-04T19:00:00+08:00')
})

t.test('entries are deduplicated by result_id, else by user and day', async (t) => {
  const cases: [string, FeishuUserTaskResult[], string[]][] = [
    ['the same entry from two windows', [task(), task()], ['u1 2021-01-04']],
    [
      'first copy wins',
      [task({ employee_name: 'first' }), task({ employee_name: 'second' })],
      ['u1 2021-01-04'],
    ],
    [
      'different result ids are different days',
      [task(), task({ result_id: 'r2', day: 20210105 })],
      ['u1 2021-01-04', 'u1 2021-01-05'],
    ],
    [
      'no result_id: user and day',
      [task({ result_id: '' }), task({ result_id: undefined })],
      ['u1 2021-01-04'],
    ],
    [
      'no result_id, other day',
      [task({ result_id: '' }), task({ result_id: '', day: 20210105 })],
      ['u1 2021-01-04', 'u1 2021-01-05'],
    ],
  ]
  for (const [name, entries, expected] of cases) {
    const outcome = normalizeFeishuTasks(entries, context)
    t.same(
      outcome.days.map((day) => `${day.userId} ${day.workDate}`),
      expected,
      name,
    )
    t.equal(outcome.skippedRows, 0, `${name}: duplicates are not skipped rows`)
  }
  t.equal(
    normalizeFeishuTasks([task({ employee_name: 'first' }), task({ employee_name: 'second' })], context)
      .days[0]?.employeeName,
    'first',
  )
})

t.test('entries without user or day are skipped and counted', async (t) => {
  const cases: [string, unknown, number][] = [
    ['no user_id', task({ user_id: undefined }), 1],
    ['empty user_id', task({ user_id: '' }), 1],
    ['no day', task({ day: undefined }), 1],
    ['day not a date', task({ day: 20190230 }), 1],
    ['day not a number', task({ day: 'monday' }), 1],
    ['day too short', task({ day: 2019081 }), 1],
    ['not an object', null, 1],
    ['a record that is not an object', task({ records: [record(), null as unknown as FeishuTaskRecord] }), 1],
    ['no records at all', task({ records: undefined }), 0],
  ]
  for (const [name, entry, skippedRows] of cases) {
    const outcome = normalizeFeishuTasks(
      [entry as FeishuUserTaskResult, task({ result_id: 'ok', user_id: 'u2' })],
      context,
    )
    t.equal(outcome.skippedRows, skippedRows, name)
    t.ok(
      outcome.days.some((day) => day.userId === 'u2'),
      `${name}: the good entry is kept`,
    )
  }
  t.same(
    normalizeFeishuTasks([task({ records: undefined })], context).days[0]?.segments,
    [],
    'no records, no segments',
  )
})

t.test('lenient parsing of numbers and strings', async (t) => {
  const entry = task({
    day: '20190819',
    group_id: 1 as unknown as string,
    records: [
      record({
        check_in_shift_time: 1609722000,
        task_shift_type: '1',
        check_in_record: flow({ check_time: 1609721700, type: '7', is_field: 'true' as unknown as boolean }),
      }),
    ],
  })
  const day = normalizeFeishuTasks([entry], context).days[0]
  t.hasStrict(day, { workDate: '2019-08-19', groupId: '1' })
  t.hasStrict(day?.segments[0], {
    overtime: true,
    checkIn: {
      scheduledAt: '2021-01-04T09:00:00+08:00',
      checkedAt: '2021-01-04T08:55:00+08:00',
      method: 'import',
      vendorMethod: '7',
      locationResult: 'outside',
    },
  })
  const extra = { ...task(), unknown_field: { nested: true } } as FeishuUserTaskResult
  t.equal(normalizeFeishuTasks([extra], context).days.length, 1, 'extra fields are ignored')
})

t.test('times carry the offset of the source zone at that instant', async (t) => {
  const cases: [string, string, string, string][] = [
    ['Asia/Shanghai', NINE, '2021-01-04T09:00:00+08:00', '2021-01-04T08:55:00+08:00'],
    ['UTC', NINE, '2021-01-04T01:00:00+00:00', '2021-01-04T00:55:00+00:00'],
    ['America/New_York', NINE, '2021-01-03T20:00:00-05:00', '2021-01-03T19:55:00-05:00'],
    ['Asia/Kathmandu', NINE, '2021-01-04T06:45:00+05:45', '2021-01-04T06:40:00+05:45'],
    // 2021-07-05 13:00 UTC is 09:00 EDT.
    ['America/New_York', '1625490000', '2021-07-05T09:00:00-04:00', '2021-01-03T19:55:00-05:00'],
  ]
  for (const [zone, shiftTime, scheduledAt, checkedAt] of cases) {
    const day = normalizeFeishuTasks(
      [task({ records: [record({ check_in_shift_time: shiftTime })] })],
      inZone(zone),
    ).days[0]
    t.equal(day?.timezone, zone)
    t.hasStrict(day?.segments[0]?.checkIn, { scheduledAt, checkedAt }, `${zone} ${shiftTime}`)
  }
  t.equal(
    normalizeFeishuTasks([task()], inZone('America/New_York')).days[0]?.workDate,
    '2021-01-04',
    'the work day is Feishu’s own, never shifted by the zone',
  )
})

t.test('days come out by userId, then workDate', async (t) => {
  const entries = [
    task({ result_id: 'a', user_id: 'u2', day: 20210105 }),
    task({ result_id: 'b', user_id: 'u1', day: 20210105 }),
    task({ result_id: 'c', user_id: 'u2', day: 20210104 }),
    task({ result_id: 'd', user_id: 'u1', day: 20210104 }),
  ]
  t.same(
    normalizeFeishuTasks(entries, context).days.map((day) => `${day.userId} ${day.workDate}`),
    ['u1 2021-01-04', 'u1 2021-01-05', 'u2 2021-01-04', 'u2 2021-01-05'],
  )
  t.strictSame(normalizeFeishuTasks([], context), { days: [], skippedRows: 0 })
})
