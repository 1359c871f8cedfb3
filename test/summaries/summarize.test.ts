// The counting behind UserSummary, one definition at a time (src/schemas/user-summary.ts and issue 12), on
// hand-made days: regular checks are those of segments with `overtime: false`; null checks are not checks;
// seconds never go below 0 and need both times; every check result is always present.
import t from 'tap'
import { addDay, addTotals, emptyTotals, secondsBetween } from '../../src/domain/summaries/summarize.js'
import { CHECK_RESULTS, type Check, type DayResult, type Segment } from '../../src/schemas/day-result.js'
import type { SummaryTotals } from '../../src/schemas/user-summary.js'

type Result = Check['result']

/** A check due at `scheduled` (local time on 2024-05-06, +08:00), made at `checked` or not at all. */
function check(result: Result, scheduled: string | null, checked: string | null = null): Check {
  const at = (time: string | null) => (time === null ? null : `2024-05-06T${time}+08:00`)
  return {
    result,
    vendorResult: result,
    scheduledAt: at(scheduled),
    checkedAt: at(checked),
    recordId: checked === null ? null : 'r1',
    approvalId: null,
    resultSupplement: null,
    locationName: null,
    locationResult: null,
    vendorLocationResult: null,
    method: null,
    vendorMethod: null,
  }
}

const regular = (checkIn: Check | null, checkOut: Check | null): Segment => ({
  overtime: false,
  checkIn,
  checkOut,
})
const overtime = (checkIn: Check | null, checkOut: Check | null): Segment => ({
  overtime: true,
  checkIn,
  checkOut,
})

function day(segments: Segment[], extra: Partial<DayResult> = {}): DayResult {
  return {
    source: 'feishu',
    vendor: 'feishu',
    userId: 'u1',
    employeeName: null,
    person: null,
    workDate: '2024-05-06',
    timezone: 'Asia/Shanghai',
    groupId: null,
    shiftId: null,
    segments,
    ...extra,
  }
}

function totalsOf(...days: DayResult[]): SummaryTotals {
  const totals = emptyTotals()
  for (const one of days) addDay(totals, one)
  return totals
}

/** The check counts with the given ones set and every other result at 0. */
function checks(counts: Partial<Record<Result, number>>): SummaryTotals['checks'] {
  return Object.fromEntries(
    CHECK_RESULTS.map((result) => [result, counts[result] ?? 0]),
  ) as SummaryTotals['checks']
}

/** Totals with the given fields set and every other one at 0. */
function totals(fields: Partial<SummaryTotals>): SummaryTotals {
  return { ...emptyTotals(), ...fields }
}

const normalDay = () =>
  regular(check('normal', '09:00:00', '08:55:00'), check('normal', '18:00:00', '18:05:00'))

t.test('empty totals: every field 0, every check result present', async (t) => {
  t.same(emptyTotals(), {
    days: 0,
    workDays: 0,
    checks: checks({}),
    late: { count: 0, seconds: 0 },
    earlyLeave: { count: 0, seconds: 0 },
    missingChecks: 0,
    absentDays: 0,
    workedSeconds: 0,
    overtime: { segments: 0, seconds: 0 },
  })
  t.same(Object.keys(emptyTotals().checks), [...CHECK_RESULTS], 'in the enum order')
  t.not(emptyTotals().checks, emptyTotals().checks, 'a fresh object each time')
})

t.test('days and workDays: a work day has at least one regular segment', async (t) => {
  t.same(totalsOf(day([])), totals({ days: 1 }), 'a day with no segment is a day, not a work day')
  t.same(
    totalsOf(
      day([overtime(check('normal', '19:00:00', '19:00:00'), check('normal', '21:00:00', '21:00:00'))]),
    ),
    totals({ days: 1, overtime: { segments: 1, seconds: 7200 } }),
    'only overtime: not a work day, and its checks are not regular checks',
  )
  const two = totalsOf(day([normalDay()]), day([normalDay()], { workDate: '2024-05-07' }))
  t.equal(two.days, 2)
  t.equal(two.workDays, 2)
  t.same(two.checks, checks({ normal: 4 }), 'every check result present, zeros included')
})

t.test(
  'checks: regular check-ins and check-outs by result; overtime and null checks are not counted',
  async (t) => {
    const counted = totalsOf(
      day([
        regular(check('late', '09:00:00', '09:10:00'), null),
        regular(null, check('early', '18:00:00', '17:00:00')),
        overtime(check('missing', '18:00:00'), check('normal', '20:00:00', '20:00:00')),
      ]),
      day([regular(check('pending', '09:00:00'), check('not_required', '18:00:00'))]),
      day([regular(check('system', '09:00:00', '09:00:00'), check('unknown', '18:00:00', '18:00:00'))]),
    )
    t.same(counted.checks, checks({ late: 1, early: 1, pending: 1, not_required: 1, system: 1, unknown: 1 }))
    t.equal(counted.missingChecks, 0, 'the missing overtime check-in is not a missing check')
    t.same(Object.keys(counted.checks), [...CHECK_RESULTS])
    t.same(
      totalsOf(day([regular(null, null)])),
      totals({ days: 1, workDays: 1 }),
      'a regular segment with no checks makes a work day with no check',
    )
  },
)

t.test('late: regular check-ins late, serious_late or absenteeism_late', async (t) => {
  const late = totalsOf(
    day([
      regular(check('late', '09:00:00', '09:05:30'), check('normal', '18:00:00', '18:00:00')),
      regular(check('serious_late', '13:00:00', '14:00:00'), check('normal', '18:00:00', '18:00:00')),
    ]),
    day([regular(check('absenteeism_late', '09:00:00', '12:00:00'), null)]),
  )
  t.same(late.late, { count: 3, seconds: 330 + 3600 + 3 * 3600 })
  t.same(late.checks, checks({ late: 1, serious_late: 1, absenteeism_late: 1, normal: 2 }))

  t.same(
    totalsOf(day([regular(check('late', '09:00:00', '08:50:00'), null)])).late,
    { count: 1, seconds: 0 },
    'checked before it was due: counted, never below 0 seconds',
  )
  t.same(
    totalsOf(day([regular(check('late', '09:00:00'), null)])).late,
    { count: 1, seconds: 0 },
    'no checkedAt: counted, no seconds',
  )
  t.same(
    totalsOf(day([regular(check('late', null, '09:30:00'), null)])).late,
    { count: 1, seconds: 0 },
    'no scheduledAt: counted, no seconds',
  )
  t.same(
    totalsOf(
      day([
        regular(check('normal', '09:00:00', '09:20:00'), check('late', '18:00:00', '18:30:00')),
        overtime(check('late', '19:00:00', '19:30:00'), check('normal', '21:00:00', '21:00:00')),
      ]),
    ).late,
    { count: 0, seconds: 0 },
    'a normal check-in however late, a late check-out, an overtime check-in: none is late',
  )
})

t.test('earlyLeave: regular check-outs whose result is early', async (t) => {
  t.same(
    totalsOf(
      day([regular(check('normal', '09:00:00', '09:00:00'), check('early', '18:00:00', '17:15:00'))]),
      day([regular(null, check('early', '18:00:00', '18:10:00'))]),
      day([regular(null, check('early', '18:00:00'))]),
    ).earlyLeave,
    { count: 3, seconds: 2700 },
    '45 min; after the due time: 0; no checkedAt: 0',
  )
  t.same(
    totalsOf(
      day([
        regular(check('early', '09:00:00', '08:00:00'), check('normal', '18:00:00', '17:00:00')),
        overtime(check('normal', '18:00:00', '18:00:00'), check('early', '21:00:00', '20:00:00')),
      ]),
    ).earlyLeave,
    { count: 0, seconds: 0 },
    'an early check-in, a normal check-out before time, an overtime check-out: none is an early leave',
  )
})

t.test('missingChecks and absentDays', async (t) => {
  const missing = (time: string) => check('missing', time)
  const counted = totalsOf(
    // Absent: both regular checks missing.
    day([regular(missing('09:00:00'), missing('18:00:00'))]),
    // Absent: every check of two regular segments, and the overtime does not matter.
    day([
      regular(missing('09:00:00'), missing('12:00:00')),
      regular(missing('13:00:00'), missing('18:00:00')),
      overtime(check('normal', '18:00:00', '18:00:00'), check('normal', '20:00:00', '20:00:00')),
    ]),
    // Absent: a null check is not a check, so the only regular check is missing.
    day([regular(null, missing('18:00:00'))]),
    // Not absent: one of the four checks was made.
    day([
      regular(missing('09:00:00'), missing('12:00:00')),
      regular(missing('13:00:00'), check('early', '18:00:00', '17:59:00')),
    ]),
    // Not absent: no regular check at all (nothing was due), and only the overtime check is missing.
    day([regular(null, null)]),
    day([overtime(missing('18:00:00'), missing('20:00:00'))]),
    day([]),
  )
  t.equal(counted.missingChecks, 2 + 4 + 1 + 3)
  t.equal(counted.checks.missing, counted.missingChecks)
  t.equal(counted.absentDays, 3)
  t.equal(counted.days, 7)
  t.equal(counted.workDays, 5)
  t.equal(
    totalsOf(day([regular(check('pending', '09:00:00'), check('not_required', '18:00:00'))])).absentDays,
    0,
    'checks that are not missing (pending, not_required) are no absence',
  )
})

t.test('workedSeconds: regular segments with both checkedAt', async (t) => {
  t.equal(
    totalsOf(
      day([
        regular(check('normal', '09:00:00', '08:58:00'), check('normal', '12:00:00', '12:01:00')),
        regular(check('late', '13:00:00', '13:30:00'), check('early', '18:00:00', '17:00:00')),
        overtime(check('normal', '18:00:00', '18:00:00'), check('normal', '21:00:00', '21:00:00')),
      ]),
    ).workedSeconds,
    (3 * 60 + 3) * 60 + (3 * 60 + 30) * 60,
    'each regular segment from check-in to check-out; overtime is not worked time here',
  )
  t.equal(
    totalsOf(
      day([regular(check('missing', '09:00:00'), check('normal', '18:00:00', '18:00:00'))]),
      day([regular(check('normal', '09:00:00', '09:00:00'), check('missing', '18:00:00'))]),
      day([regular(check('normal', '09:00:00', '09:00:00'), null)]),
      day([regular(null, check('normal', '18:00:00', '18:00:00'))]),
    ).workedSeconds,
    0,
    'a segment without both times counts nothing (scheduled times are not used)',
  )
  t.equal(
    totalsOf(day([regular(check('normal', '09:00:00', '18:00:00'), check('normal', '18:00:00', '09:00:00'))]))
      .workedSeconds,
    0,
    'a check-out before the check-in: never below 0',
  )
})

t.test(
  'overtime: segments with a check-out time; start at the check-in time, else its due time',
  async (t) => {
    t.same(
      totalsOf(
        day([
          normalDay(),
          // Its own check-in: 18:10 to 20:40.
          overtime(check('normal', '18:00:00', '18:10:00'), check('normal', '20:00:00', '20:40:00')),
        ]),
        day([
          normalDay(),
          // No time of its own: from where the shift ended (18:00) to 19:30.
          overtime(check('missing', '18:00:00'), check('early', '20:00:00', '19:30:00')),
        ]),
      ).overtime,
      { segments: 2, seconds: 2.5 * 3600 + 1.5 * 3600 },
    )
    t.same(
      totalsOf(
        day([overtime(check('normal', '18:00:00', '18:00:00'), check('missing', '20:00:00'))]),
        day([overtime(check('normal', '18:00:00', '18:00:00'), null)]),
      ).overtime,
      { segments: 0, seconds: 0 },
      'no check-out time: the segment does not count',
    )
    t.same(
      totalsOf(
        day([overtime(check('normal', '20:00:00', '21:00:00'), check('normal', '20:30:00', '20:30:00'))]),
      ).overtime,
      { segments: 1, seconds: 0 },
      'a check-out before the start: counted, never below 0 seconds',
    )
    t.same(
      totalsOf(day([overtime(null, check('normal', '20:00:00', '20:00:00'))])).overtime,
      { segments: 1, seconds: 0 },
      'no check-in at all: no start, so a segment with no seconds',
    )
    const withOvertime = totalsOf(
      day([
        normalDay(),
        overtime(check('late', '18:00:00', '18:30:00'), check('normal', '20:00:00', '20:00:00')),
      ]),
    )
    t.same(withOvertime.checks, checks({ normal: 2 }), 'overtime checks are not in checks')
    t.same(withOvertime.late, { count: 0, seconds: 0 })
    t.equal(withOvertime.workedSeconds, 9 * 3600 + 10 * 60)
  },
)

t.test('secondsBetween: whole seconds between RFC 3339 times, whatever their offsets', async (t) => {
  t.equal(secondsBetween('2024-05-06T09:00:00+08:00', '2024-05-06T09:00:42+08:00'), 42)
  t.equal(secondsBetween('2024-05-06T09:00:00+08:00', '2024-05-06T02:30:00+01:00'), 1800, '+08:00 to +01:00')
  t.equal(secondsBetween('2024-05-06T01:00:00Z', '2024-05-06T09:00:00+08:00'), 0, 'the same instant')
  t.equal(secondsBetween('2024-05-06T23:30:00-05:00', '2024-05-07T13:00:00+08:00'), 30 * 60, 'across a date')
  t.equal(secondsBetween('2024-05-06T09:00:00+08:00', '2024-05-06T08:59:00+08:00'), 0, 'never below 0')
  t.equal(secondsBetween(null, '2024-05-06T09:00:00+08:00'), 0)
  t.equal(secondsBetween('2024-05-06T09:00:00+08:00', null), 0)
  t.equal(secondsBetween('not a time', '2024-05-06T09:00:00+08:00'), 0, 'unreadable: 0, not NaN')
})

t.test('addTotals sums every field', async (t) => {
  const a = totalsOf(
    day([
      regular(check('late', '09:00:00', '09:10:00'), check('early', '18:00:00', '17:50:00')),
      overtime(check('normal', '18:00:00', '18:00:00'), check('normal', '19:00:00', '19:00:00')),
    ]),
    day([regular(check('missing', '09:00:00'), check('missing', '18:00:00'))]),
  )
  const b = totalsOf(
    day([regular(check('serious_late', '09:00:00', '10:00:00'), check('normal', '18:00:00', '18:00:00'))]),
    day([regular(check('system', '09:00:00', '09:00:00'), check('unknown', '18:00:00', '18:00:00'))]),
    day([]),
  )
  const sum = emptyTotals()
  addTotals(sum, a)
  addTotals(sum, b)
  t.same(sum, {
    days: 5,
    workDays: 4,
    checks: checks({ late: 1, early: 1, missing: 2, serious_late: 1, normal: 1, system: 1, unknown: 1 }),
    late: { count: 2, seconds: 600 + 3600 },
    earlyLeave: { count: 1, seconds: 600 },
    missingChecks: 2,
    absentDays: 1,
    workedSeconds: (8 * 60 + 40) * 60 + 8 * 3600 + 9 * 3600,
    overtime: { segments: 1, seconds: 3600 },
  })
  // The sum is the totals of all the days counted at once.
  const all = totalsOf(
    day([
      regular(check('late', '09:00:00', '09:10:00'), check('early', '18:00:00', '17:50:00')),
      overtime(check('normal', '18:00:00', '18:00:00'), check('normal', '19:00:00', '19:00:00')),
    ]),
    day([regular(check('missing', '09:00:00'), check('missing', '18:00:00'))]),
    day([regular(check('serious_late', '09:00:00', '10:00:00'), check('normal', '18:00:00', '18:00:00'))]),
    day([regular(check('system', '09:00:00', '09:00:00'), check('unknown', '18:00:00', '18:00:00'))]),
    day([]),
  )
  t.same(sum, all, 'the same as counting every day into one total')
  t.same(a.days, 2, 'the added totals are not changed')
})
