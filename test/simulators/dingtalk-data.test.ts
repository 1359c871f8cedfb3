import t from 'tap'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import {
  DINGTALK_LOCATION_RESULTS,
  DINGTALK_SOURCE_TYPES,
  DINGTALK_TIME_RESULTS,
  type DingTalkRow,
  dingTalkCorpId,
  dingTalkRowsFor,
} from '../../src/simulators/index.js'
import { users } from './helpers.js'

// 40 users × 8 weeks from Monday 2024-04-01.
const FIRST = parseWorkDate('2024-04-01') ?? 0
const DATES = Array.from({ length: 56 }, (_, index) => formatWorkDate(FIRST + index))
const ROWS: DingTalkRow[] = users('user', 40).flatMap((userId) =>
  DATES.flatMap((date) => dingTalkRowsFor(userId, date, {})),
)

t.test('two rows each weekday, OnDuty 09:00 and OffDuty 18:00; none at the weekend', async (t) => {
  t.same(dingTalkRowsFor('d01', '2024-05-11', {}), [], 'Saturday')
  t.same(dingTalkRowsFor('d01', '2024-05-12', {}), [], 'Sunday')
  const rows = dingTalkRowsFor('d01', '2024-05-13', {})
  t.same(
    rows.map((row) => [row.checkType, row.baseCheckTime, row.workDate]),
    [
      ['OnDuty', Date.parse('2024-05-13T09:00:00+08:00'), Date.parse('2024-05-13T00:00:00+08:00')],
      ['OffDuty', Date.parse('2024-05-13T18:00:00+08:00'), Date.parse('2024-05-13T00:00:00+08:00')],
    ],
  )
  t.match(rows[0], {
    userId: 'd01',
    corpId: dingTalkCorpId(20240506),
    groupId: Number,
    id: Number,
    planId: Number,
  })
  t.equal(ROWS.length, 40 * 40 * 2)
  const berlin = dingTalkRowsFor('d01', '2024-03-31', { timezone: 'Europe/Berlin' })
  t.same(berlin, [], 'a Sunday in Berlin')
  const monday = dingTalkRowsFor('d01', '2024-04-01', { timezone: 'Europe/Berlin' })
  t.equal(monday[0]?.workDate, Date.parse('2024-04-01T00:00:00+02:00'), 'local midnight in summer time')
})

t.test('same seed, user and day: same rows; another seed: other data', async (t) => {
  t.same(dingTalkRowsFor('d01', '2024-05-13', {}), dingTalkRowsFor('d01', '2024-05-13', { seed: 20240506 }))
  t.notSame(
    users('d', 10).map((userId) => dingTalkRowsFor(userId, '2024-05-13', { seed: 1 })),
    users('d', 10).map((userId) => dingTalkRowsFor(userId, '2024-05-13', { seed: 2 })),
  )
})

t.test(
  'every documented timeResult, locationResult and sourceType occurs over 40 users × 8 weeks',
  async (t) => {
    t.same(new Set(ROWS.map((row) => row.timeResult)), new Set(DINGTALK_TIME_RESULTS))
    t.same(new Set(ROWS.map((row) => row.locationResult)), new Set(DINGTALK_LOCATION_RESULTS))
    t.same(
      new Set(ROWS.filter((row) => row.sourceType).map((row) => row.sourceType)),
      new Set(DINGTALK_SOURCE_TYPES),
    )
    const approvals = ROWS.map((row) => `${row.approveId !== undefined}/${row.procInstId !== undefined}`)
    t.same(
      new Set(approvals),
      new Set(['false/false', 'true/true', 'false/true', 'true/false']),
      'approval id shapes',
    )
    t.ok(
      ROWS.filter((row) => row.sourceType === 'APPROVE').every((row) => row.approveId && row.procInstId),
      'APPROVE rows name their approval',
    )
  },
)

t.test('NotSigned rows are shaped as in the vendor example', async (t) => {
  const notSigned = ROWS.filter((row) => row.timeResult === 'NotSigned')
  t.ok(notSigned.length > 100)
  t.ok(
    notSigned.every(
      (row) =>
        row.locationResult === 'NotSigned' &&
        !('recordId' in row) &&
        !('sourceType' in row) &&
        row.userCheckTime === row.baseCheckTime,
    ),
  )
  t.ok(
    notSigned.some((row) => row.procInstId !== undefined),
    'some are tied to a leave approval',
  )
  const signed = ROWS.filter((row) => row.timeResult !== 'NotSigned')
  t.ok(
    signed.every(
      (row) =>
        row.recordId !== undefined && row.sourceType !== undefined && row.locationResult !== 'NotSigned',
    ),
  )
})

t.test('check times agree with the result', async (t) => {
  const minutesLate = (row: DingTalkRow) => (row.userCheckTime - row.baseCheckTime) / 60_000
  const wrong = ROWS.filter((row) => {
    const late = minutesLate(row)
    switch (row.timeResult) {
      case 'Late':
        return !(late > 0 && late <= 30)
      case 'SeriousLate':
        return !(late > 30 && late <= 90)
      case 'Absenteeism':
        return !(late > 90)
      case 'Early':
        return !(late < 0 && row.checkType === 'OffDuty')
      case 'Normal':
        return row.checkType === 'OnDuty' ? late > 0 : late < 0
      default:
        return late !== 0
    }
  })
  t.same(wrong, [])
  t.ok(
    ROWS.every((row) => row.userCheckTime % 1000 === 0),
    'whole seconds, as the vendor gives them',
  )
})

t.test('ids are unique per row, and so are record ids', async (t) => {
  t.equal(new Set(ROWS.map((row) => row.id)).size, ROWS.length)
  const recordIds = ROWS.flatMap((row) => (row.recordId === undefined ? [] : [row.recordId]))
  t.equal(new Set(recordIds).size, recordIds.length)
  t.ok(ROWS.every((row) => Number.isSafeInteger(row.id) && Number.isSafeInteger(row.planId)))
})

t.test('a date that is not YYYY-MM-DD is a programming error', async (t) => {
  t.throws(() => dingTalkRowsFor('d01', '2024-02-30', {}), RangeError)
  t.throws(() => dingTalkRowsFor('d01', '2024-05-13 00:00:00', {}), RangeError)
})
