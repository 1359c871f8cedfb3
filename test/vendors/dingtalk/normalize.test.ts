// DingTalk attendance/list rows → DayResults: grouped by user and work day, OnDuty paired with OffDuty.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { zonedMidnight } from '../../../src/platform/time/zoned-time.js'
import type { Check, DayResult } from '../../../src/schemas/day-result.js'
import { normalizeDingTalkRecords } from '../../../src/vendors/dingtalk/normalize.js'
import type { DingTalkListResponse, DingTalkRecord } from '../../../src/vendors/dingtalk/types.js'
import type { NormalizeContext } from '../../../src/vendors/normalize-types.js'

const example = JSON.parse(
  readFileSync(new URL('../../fixtures/dingtalk-list-example.json', import.meta.url), 'utf8'),
) as DingTalkListResponse
const exampleRows = example.recordresult ?? []

const context: NormalizeContext = { source: 'dingtalk-hq', timezone: 'Asia/Shanghai', includeRaw: false }
const inZone = (timezone: string): NormalizeContext => ({ ...context, timezone })

const HOUR = 3_600_000
const MAY_16 = 1463328000000 // 2016-05-16T00:00:00+08:00

let nextId = 1000
const row = (fields: Partial<DingTalkRecord> = {}): DingTalkRecord => ({
  id: nextId++,
  userId: 'u1',
  workDate: MAY_16,
  checkType: 'OnDuty',
  timeResult: 'Normal',
  locationResult: 'Normal',
  baseCheckTime: MAY_16 + 9 * HOUR,
  userCheckTime: MAY_16 + 9 * HOUR - 300_000,
  recordId: 555,
  groupId: 42,
  sourceType: 'USER',
  ...fields,
})
const onDuty = (hour: number, fields: Partial<DingTalkRecord> = {}) =>
  row({
    checkType: 'OnDuty',
    baseCheckTime: MAY_16 + hour * HOUR,
    userCheckTime: MAY_16 + hour * HOUR,
    ...fields,
  })
const offDuty = (hour: number, fields: Partial<DingTalkRecord> = {}) =>
  row({
    checkType: 'OffDuty',
    baseCheckTime: MAY_16 + hour * HOUR,
    userCheckTime: MAY_16 + hour * HOUR,
    ...fields,
  })

const checkOf = (fields: Partial<DingTalkRecord>, ctx = context): Check | null =>
  normalizeDingTalkRecords([row(fields)], ctx).days[0]?.segments[0]?.checkIn ?? null

/** Each segment as [check-in due, check-out due] ('HH:mm' in +08:00), null for a missing side. */
const shape = (day: DayResult | undefined) =>
  day?.segments.map((segment) => [
    segment.checkIn && (segment.checkIn.scheduledAt?.slice(11, 16) ?? 'unscheduled'),
    segment.checkOut && (segment.checkOut.scheduledAt?.slice(11, 16) ?? 'unscheduled'),
  ])

t.test("the vendor's documented example", async (t) => {
  const expected: DayResult[] = [
    {
      source: 'dingtalk-hq',
      vendor: 'dingtalk',
      userId: 'manager6699',
      employeeName: null,
      workDate: '2016-05-16', // workDate 1463328000000 is 2016-05-16T00:00:00+08:00
      timezone: 'Asia/Shanghai',
      groupId: '20451893',
      shiftId: null,
      segments: [
        {
          overtime: false,
          checkIn: {
            result: 'missing',
            vendorResult: 'NotSigned',
            scheduledAt: '2016-05-16T09:00:00+08:00', // 1463360400000
            checkedAt: null, // userCheckTime equals baseCheckTime on a NotSigned row
            recordId: null,
            approvalId: 'cb992267-9b70',
            resultSupplement: null,
            locationName: null,
            locationResult: 'missing',
            vendorLocationResult: 'NotSigned',
            method: null,
            vendorMethod: null,
          },
          checkOut: {
            result: 'early',
            vendorResult: 'Early',
            scheduledAt: '2016-05-16T18:00:00+08:00', // 1463392800000
            checkedAt: '2016-05-16T17:50:35+08:00', // 1463392235000
            recordId: '30068312',
            approvalId: 'cb992267-9b70',
            resultSupplement: null,
            locationName: null,
            locationResult: 'normal',
            vendorLocationResult: 'Normal',
            method: null,
            vendorMethod: null,
          },
        },
      ],
    },
  ]
  const outcome = normalizeDingTalkRecords(exampleRows, context)
  t.strictSame(outcome, { days: expected, skippedRows: 0, daysOffMidnight: 0 })
  t.notOk(Object.hasOwn(outcome.days[0] ?? {}, 'raw'), 'no raw key without includeRaw')
})

t.test('includeRaw keeps the rows of the day in the order used', async (t) => {
  const day = normalizeDingTalkRecords(exampleRows, { ...context, includeRaw: true }).days[0]
  t.equal(day?.raw?.length, 2)
  t.equal(day?.raw?.[0], exampleRows[1], 'the OnDuty row first: it is due first')
  t.equal(day?.raw?.[1], exampleRows[0])
})

t.test('timeResult maps to result; vendorResult keeps the string', async (t) => {
  const cases: [unknown, string, Check['result']][] = [
    ['Normal', 'Normal', 'normal'],
    ['Early', 'Early', 'early'],
    ['Late', 'Late', 'late'],
    ['SeriousLate', 'SeriousLate', 'serious_late'],
    ['Absenteeism', 'Absenteeism', 'absenteeism_late'],
    ['NotSigned', 'NotSigned', 'missing'],
    ['Lack', 'Lack', 'unknown'],
    ['NOTSIGNED', 'NOTSIGNED', 'unknown'],
    ['', '', 'unknown'],
    [undefined, '', 'unknown'],
  ]
  for (const [timeResult, vendorResult, result] of cases) {
    t.hasStrict(
      checkOf({ timeResult: timeResult as string }),
      { result, vendorResult },
      `${String(timeResult)} → ${result}`,
    )
  }
})

t.test('a NotSigned check point still to come when DingTalk answered is pending, not missing', async (t) => {
  // DingTalk answers a row per check point before it comes, NotSigned (vendor-docs/FACTS.md).
  const unsigned = {
    timeResult: 'NotSigned',
    locationResult: 'NotSigned',
    recordId: undefined,
    sourceType: undefined,
  }
  const due = MAY_16 + 9 * HOUR
  const answeredAt = (ms: number) => ({ ...context, answeredAt: ms })
  const resultOf = (fields: Partial<DingTalkRecord>, ctx: NormalizeContext) => {
    const check = checkOf({ ...unsigned, baseCheckTime: due, userCheckTime: due, ...fields }, ctx)
    return [check?.result, check?.vendorResult]
  }
  t.same(
    resultOf({}, answeredAt(due - 1)),
    ['pending', 'NotSigned'],
    'answered a millisecond before it was due',
  )
  t.same(resultOf({}, answeredAt(due)), ['missing', 'NotSigned'], 'answered when it was due')
  t.same(
    resultOf({}, context),
    ['missing', 'NotSigned'],
    'without the moment of the answer: as DingTalk says',
  )
  t.same(
    resultOf({ recordId: 77 }, answeredAt(due - 1)),
    ['missing', 'NotSigned'],
    'a row with a record is about a check, not a check point to come',
  )
  t.equal(
    checkOf({ baseCheckTime: due }, answeredAt(due - 1))?.result,
    'normal',
    'a check made early stays one',
  )
})

t.test('locationResult maps; absent is null', async (t) => {
  const cases: [unknown, Check['locationResult'], string | null][] = [
    ['Normal', 'normal', 'Normal'],
    ['Outside', 'outside', 'Outside'],
    ['NotSigned', 'missing', 'NotSigned'],
    ['Moon', 'unknown', 'Moon'],
    [undefined, null, null],
  ]
  for (const [vendor, locationResult, vendorLocationResult] of cases) {
    t.hasStrict(
      checkOf({ locationResult: vendor as string }),
      { locationResult, vendorLocationResult },
      `${String(vendor)}`,
    )
  }
})

t.test('sourceType maps to method; absent is null', async (t) => {
  const cases: [unknown, Check['method']][] = [
    ['USER', 'user'],
    ['BOSS', 'admin_edit'],
    ['SYSTEM', 'system'],
    ['AUTO_CHECK', 'auto_check'],
    ['ATM', 'attendance_machine'],
    ['DING_ATM', 'attendance_machine'],
    ['BEACON', 'beacon'],
    ['APPROVE', 'approval'],
    ['FACE', 'unknown'],
    [undefined, null],
  ]
  for (const [sourceType, method] of cases) {
    const vendorMethod = (sourceType as string | undefined) ?? null
    t.hasStrict(
      checkOf({ sourceType: sourceType as string }),
      { method, vendorMethod },
      `${String(sourceType)} → ${method}`,
    )
  }
})

t.test('checks: times, record and approval ids', async (t) => {
  const cases: [string, Partial<DingTalkRecord>, Partial<Check>][] = [
    ['a check', {}, { scheduledAt: '2016-05-16T09:00:00+08:00', checkedAt: '2016-05-16T08:55:00+08:00' }],
    [
      'NotSigned is never a check',
      { timeResult: 'NotSigned', userCheckTime: MAY_16 + 10 * HOUR },
      { checkedAt: null },
    ],
    ['no userCheckTime', { userCheckTime: undefined }, { checkedAt: null }],
    ['no baseCheckTime', { baseCheckTime: undefined }, { scheduledAt: null }],
    ['recordId as a string', {}, { recordId: '555' }],
    ['no recordId', { recordId: undefined }, { recordId: null }],
    ['procInstId wins', { procInstId: 'p-1', approveId: 77 }, { approvalId: 'p-1' }],
    ['else approveId, as a string', { approveId: 77 }, { approvalId: '77' }],
    ['empty procInstId falls back', { procInstId: '', approveId: 77 }, { approvalId: '77' }],
    ['no approval', {}, { approvalId: null }],
    ['Feishu-only fields are null', {}, { resultSupplement: null, locationName: null }],
  ]
  for (const [name, fields, expected] of cases) t.hasStrict(checkOf(fields), expected, name)
})

t.test('pairing OnDuty with the next OffDuty', async (t) => {
  const cases: [string, DingTalkRecord[], (string | null)[][]][] = [
    ['a normal day', [onDuty(9), offDuty(18)], [['09:00', '18:00']]],
    [
      'unsorted input',
      [offDuty(18), offDuty(12), onDuty(13), onDuty(9)],
      [
        ['09:00', '12:00'],
        ['13:00', '18:00'],
      ],
    ],
    ['OffDuty with nothing open', [offDuty(18)], [[null, '18:00']]],
    [
      'OffDuty before any OnDuty',
      [offDuty(8), onDuty(9), offDuty(18)],
      [
        [null, '08:00'],
        ['09:00', '18:00'],
      ],
    ],
    [
      'two OnDuty in a row',
      [onDuty(9), onDuty(13), offDuty(18)],
      [
        ['09:00', null],
        ['13:00', '18:00'],
      ],
    ],
    [
      'OnDuty at the end of the day',
      [onDuty(9), offDuty(12), onDuty(13)],
      [
        ['09:00', '12:00'],
        ['13:00', null],
      ],
    ],
    [
      'two OffDuty in a row',
      [onDuty(9), offDuty(12), offDuty(18)],
      [
        ['09:00', '12:00'],
        [null, '18:00'],
      ],
    ],
    [
      'touching shifts: the OffDuty closes the open segment first',
      [offDuty(12), onDuty(12), onDuty(9), offDuty(18)],
      [
        ['09:00', '12:00'],
        ['12:00', '18:00'],
      ],
    ],
    ['a zero-length pair stays one segment', [offDuty(12), onDuty(12)], [['12:00', '12:00']]],
    [
      'no baseCheckTime: last',
      [onDuty(9, { baseCheckTime: undefined }), offDuty(18)],
      [
        [null, '18:00'],
        ['unscheduled', null],
      ],
    ],
  ]
  for (const [name, rows, expected] of cases) {
    const outcome = normalizeDingTalkRecords(rows, context)
    t.same(shape(outcome.days[0]), expected, name)
    t.ok(
      outcome.days[0]?.segments.every((segment) => segment.overtime === false),
      `${name}: never overtime`,
    )
  }
})

t.test('raw shows the rows in the order they were paired', async (t) => {
  const rows = [onDuty(9), onDuty(12), offDuty(12), offDuty(18)]
  const day = normalizeDingTalkRecords([...rows].reverse(), { ...context, includeRaw: true }).days[0]
  t.same(
    day?.raw?.map((raw) => (raw as DingTalkRecord).id),
    [rows[0], rows[2], rows[1], rows[3]].map((raw) => raw?.id),
  )
})

t.test('rows due at the same time and of the same type are ordered by id', async (t) => {
  const cases: [string, DingTalkRecord['id'][], DingTalkRecord['id'][]][] = [
    ['numeric ids as numbers', [10, 9], [9, 10]],
    ['numeric ids given as text', ['10', 9], [9, '10']],
    ['other ids as text', ['b', 'a'], ['a', 'b']],
    ['rows without an id last', [undefined, 'a'], ['a', undefined]],
  ]
  for (const [name, ids, expected] of cases) {
    const rows = ids.map((id) => onDuty(9, { id }))
    const day = normalizeDingTalkRecords(rows, { ...context, includeRaw: true }).days[0]
    t.same(
      day?.raw?.map((raw) => (raw as DingTalkRecord).id),
      expected,
      name,
    )
  }
})

t.test('rows repeated across pages are kept once', async (t) => {
  const on = onDuty(9, { id: 1 })
  const off = offDuty(18, { id: 2 })
  const pages = [on, off, { ...on, timeResult: 'Late' }, { ...off }]
  const outcome = normalizeDingTalkRecords(pages, { ...context, includeRaw: true })
  t.same(shape(outcome.days[0]), [['09:00', '18:00']])
  t.equal(outcome.days[0]?.segments[0]?.checkIn?.vendorResult, 'Normal', 'first copy wins')
  t.equal(outcome.days[0]?.raw?.length, 2)
  t.equal(outcome.skippedRows, 0, 'duplicates are not skipped rows')

  const noIds = [onDuty(9, { id: undefined }), offDuty(18, { id: undefined }), onDuty(9, { id: undefined })]
  t.same(
    shape(normalizeDingTalkRecords(noIds, context).days[0]),
    [['09:00', '18:00']],
    'without ids: one per check point',
  )
  const ids = [onDuty(9, { id: 7 }), onDuty(9, { id: '7' })]
  t.equal(normalizeDingTalkRecords(ids, context).days[0]?.segments.length, 1, 'ids compare as text')
})

t.test('rows whose checkType is neither OnDuty nor OffDuty are counted and kept in raw', async (t) => {
  const odd = row({ checkType: 'Overtime', baseCheckTime: MAY_16 + 12 * HOUR })
  const outcome = normalizeDingTalkRecords([onDuty(9), odd, offDuty(18)], { ...context, includeRaw: true })
  t.equal(outcome.skippedRows, 1)
  t.same(shape(outcome.days[0]), [['09:00', '18:00']])
  t.equal(outcome.days[0]?.raw?.[1], odd, 'in raw, in scheduled order')
  const only = normalizeDingTalkRecords([row({ checkType: undefined })], context)
  t.equal(only.skippedRows, 1)
  t.same(only.days[0]?.segments, [], 'the day is still there, with no segments')
})

t.test('rows without user or work date are skipped and counted', async (t) => {
  const cases: [string, unknown][] = [
    ['no userId', row({ userId: undefined })],
    ['empty userId', row({ userId: '' })],
    ['no workDate', row({ workDate: undefined })],
    ['workDate not a number', row({ workDate: 'today' })],
    ['workDate zero', row({ workDate: 0 })],
    ['not an object', null],
    ['a string', 'row'],
  ]
  for (const [name, bad] of cases) {
    const outcome = normalizeDingTalkRecords([bad as DingTalkRecord, onDuty(9)], context)
    t.equal(outcome.skippedRows, 1, name)
    t.equal(outcome.days.length, 1, `${name}: the good row is kept`)
  }
})

t.test('lenient parsing of numbers and strings', async (t) => {
  const rows: DingTalkRecord[] = [
    row({
      id: '9',
      workDate: String(MAY_16),
      baseCheckTime: String(MAY_16 + 9 * HOUR),
      userCheckTime: String(MAY_16 + 9 * HOUR + 60_000),
      groupId: '20451893',
      recordId: '30068312',
      corpId: 'ding53a2fb0458ba9639',
      ...{ somethingNew: [1, 2, 3] },
    }),
  ]
  const day = normalizeDingTalkRecords(rows, context).days[0]
  t.hasStrict(day, { workDate: '2016-05-16', groupId: '20451893' })
  t.hasStrict(day?.segments[0]?.checkIn, {
    scheduledAt: '2016-05-16T09:00:00+08:00',
    checkedAt: '2016-05-16T09:01:00+08:00',
    recordId: '30068312',
  })
  t.equal(
    normalizeDingTalkRecords([row({ groupId: undefined })], context).days[0]?.groupId,
    null,
    'no groupId',
  )
  t.equal(
    normalizeDingTalkRecords([onDuty(9, { groupId: undefined }), offDuty(18, { groupId: 5 })], context)
      .days[0]?.groupId,
    '5',
    'the first row that has one',
  )
})

t.test('work days and times are read in the source zone', async (t) => {
  const cases: [string, string, string][] = [
    ['Asia/Shanghai', '2016-05-16', '+08:00'],
    ['UTC', '2016-05-16', '+00:00'],
    ['Asia/Kathmandu', '2016-05-16', '+05:45'],
    ['America/New_York', '2024-03-09', '-05:00'],
    ['America/New_York', '2024-03-10', '-04:00'], // the DST change is at 02:00, before the 09:00 check
    ['America/New_York', '2024-11-03', '-05:00'],
  ]
  for (const [zone, workDate, offset] of cases) {
    const midnight = zonedMidnight(workDate, zone)
    const nine = Date.parse(`${workDate}T09:00:00${offset}`)
    const rows = [row({ workDate: midnight, baseCheckTime: nine, userCheckTime: nine })]
    const day = normalizeDingTalkRecords(rows, inZone(zone)).days[0]
    t.hasStrict(
      day,
      { workDate, timezone: zone, segments: [{ checkIn: { scheduledAt: `${workDate}T09:00:00${offset}` } }] },
      `${zone} ${workDate}`,
    )
  }
  const misread = normalizeDingTalkRecords(exampleRows, inZone('UTC'))
  t.equal(
    misread.days[0]?.workDate,
    '2016-05-16',
    'a +08:00 midnight read in UTC is still its own day (the nearest UTC midnight), not the day before',
  )
  t.equal(misread.daysOffMidnight, 1, 'and it is counted as not a UTC midnight')
})

t.test('days are grouped by user and work day and come out in order', async (t) => {
  const rows = [
    onDuty(9, { userId: 'u2' }),
    onDuty(9, { userId: 'u1', workDate: MAY_16 + 24 * HOUR, baseCheckTime: MAY_16 + 33 * HOUR }),
    offDuty(18, { userId: 'u2' }),
    onDuty(9, { userId: 'u1' }),
    offDuty(18, { userId: 'u1', workDate: MAY_16 + 24 * HOUR, baseCheckTime: MAY_16 + 42 * HOUR }),
  ]
  const outcome = normalizeDingTalkRecords(rows, context)
  t.same(
    outcome.days.map((day) => [day.userId, day.workDate, day.segments.length]),
    [
      ['u1', '2016-05-16', 1],
      ['u1', '2016-05-17', 1],
      ['u2', '2016-05-16', 1],
    ],
  )
  t.hasStrict(outcome.days[1]?.segments[0], {
    checkIn: { scheduledAt: '2016-05-17T09:00:00+08:00' },
    checkOut: { scheduledAt: '2016-05-17T18:00:00+08:00' },
  })
  t.strictSame(normalizeDingTalkRecords([], context), { days: [], skippedRows: 0, daysOffMidnight: 0 })
})

t.test(
  "work dates from groups in another zone land on their own day, counted as off the source's midnight",
  async (t) => {
    // The source says Asia/Shanghai; the groups sit in Tokyo (+09:00), Sydney (+10:00 in May) and
    // London (+01:00 in May). Read as a plain local date in Shanghai, Tokyo's and Sydney's midnights fall on the day before.
    const cases = [
      { zone: 'Asia/Tokyo', date: '2024-05-06' },
      { zone: 'Australia/Sydney', date: '2024-05-07' },
      { zone: 'Europe/London', date: '2024-05-08' },
      { zone: 'Asia/Shanghai', date: '2024-05-09' },
    ]
    const rows = cases.map(({ zone, date }, index) => {
      const midnight = zonedMidnight(date, zone)
      return row({
        userId: `u${index}`,
        workDate: midnight,
        baseCheckTime: midnight + 9 * HOUR,
        userCheckTime: midnight + 9 * HOUR,
      })
    })
    const outcome = normalizeDingTalkRecords(rows, context)
    t.same(
      outcome.days.map((day) => `${day.userId}/${day.workDate}`),
      ['u0/2024-05-06', 'u1/2024-05-07', 'u2/2024-05-08', 'u3/2024-05-09'],
    )
    t.equal(outcome.daysOffMidnight, 3, 'the three days whose workDate is not a Shanghai midnight')
    t.equal(
      outcome.days[0]?.segments[0]?.checkIn?.scheduledAt,
      '2024-05-06T08:00:00+08:00',
      'times stay the real instants, shown in the configured zone',
    )
  },
)

t.test('a workDate at exact local midnight in the source zone is not counted', async (t) => {
  const outcome = normalizeDingTalkRecords(exampleRows, context)
  t.equal(outcome.daysOffMidnight, 0)
})
