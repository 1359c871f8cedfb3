// SummaryCollector: one summary per user asked for (with or without days), in userId order once the
// source's report is final; `complete` from that report; the latest non-null name; and a person's totals
// summed over their accounts, incomplete when any account is.
import t from 'tap'
import { PeopleDirectory } from '../../src/domain/people/people-directory.js'
import { addDay, emptyTotals } from '../../src/domain/summaries/summarize.js'
import { SummaryCollector } from '../../src/domain/summaries/summary-collector.js'
import type { Check, DayResult } from '../../src/schemas/day-result.js'
import type { SourceReport } from '../../src/schemas/source-report.js'
import type { SummaryTotals } from '../../src/schemas/user-summary.js'

function check(result: Check['result'], scheduledAt: string, checkedAt: string | null): Check {
  return {
    result,
    vendorResult: result,
    scheduledAt,
    checkedAt,
    recordId: null,
    approvalId: null,
    resultSupplement: null,
    locationName: null,
    locationResult: null,
    vendorLocationResult: null,
    method: null,
    vendorMethod: null,
  }
}

/** A weekday of `userId` at `source`: late by `lateMinutes`, checked out at 18:00. */
function day(
  source: string,
  userId: string,
  workDate: string,
  options: { lateMinutes?: number; employeeName?: string | null } = {},
): DayResult {
  const late = options.lateMinutes ?? 0
  const checkedIn = `${workDate}T09:${String(late).padStart(2, '0')}:00+08:00`
  return {
    source,
    vendor: source.startsWith('dingtalk') ? 'dingtalk' : 'feishu',
    userId,
    employeeName: options.employeeName ?? null,
    person: null,
    workDate,
    timezone: 'Asia/Shanghai',
    groupId: null,
    shiftId: null,
    segments: [
      {
        overtime: false,
        checkIn: check(late > 0 ? 'late' : 'normal', `${workDate}T09:00:00+08:00`, checkedIn),
        checkOut: check('normal', `${workDate}T18:00:00+08:00`, `${workDate}T18:00:00+08:00`),
      },
    ],
  }
}

function report(source: string, fields: Partial<SourceReport> = {}): SourceReport {
  return {
    source,
    vendor: source.startsWith('dingtalk') ? 'dingtalk' : 'feishu',
    status: 'ok',
    vendorCalls: 1,
    invalidUserIds: [],
    unauthorizedUserIds: [],
    missing: [],
    error: null,
    warnings: [],
    cache: { hits: 0, misses: 0 },
    ...fields,
  }
}

function totalsOf(days: DayResult[]): SummaryTotals {
  const totals = emptyTotals()
  for (const one of days) addDay(totals, one)
  return totals
}

t.test('a summary per user asked for, in userId order, with or without days', async (t) => {
  const collector = new SummaryCollector(new Map([['feishu', ['u3', 'u1', 'U2', 'u10']]]))
  const u1 = [day('feishu', 'u1', '2024-05-06', { lateMinutes: 5 }), day('feishu', 'u1', '2024-05-07')]
  const u3 = [day('feishu', 'u3', '2024-05-06')]
  collector.add([...u1, ...u3])
  const summaries = collector.finishSource(report('feishu'))
  t.same(
    summaries.map((summary) => summary.userId),
    ['U2', 'u1', 'u10', 'u3'],
    'sorted as the answer sorts user ids (code units)',
  )
  const [u2, first, u10, third] = summaries
  t.same(u2, {
    source: 'feishu',
    vendor: 'feishu',
    userId: 'U2',
    employeeName: null,
    person: null,
    ...emptyTotals(),
    complete: true,
  })
  t.same(u10, { ...u2, userId: 'u10' }, 'no days: a zero summary, complete')
  t.same(first, {
    source: 'feishu',
    vendor: 'feishu',
    userId: 'u1',
    employeeName: null,
    person: null,
    ...totalsOf(u1),
    complete: true,
  })
  t.same(first?.late, { count: 1, seconds: 300 }, 'not vacuous')
  t.same(third, { ...u2, userId: 'u3', ...totalsOf(u3) })
  t.same(Object.keys(first ?? {}), [
    'source',
    'vendor',
    'userId',
    'employeeName',
    'person',
    'days',
    'workDays',
    'checks',
    'late',
    'earlyLeave',
    'missingChecks',
    'absentDays',
    'workedSeconds',
    'overtime',
    'complete',
  ])
})

t.test(
  'days may come in several chunks and sources interleaved; each source is finished on its own',
  async (t) => {
    const collector = new SummaryCollector(
      new Map([
        ['feishu', ['a']],
        ['dingtalk', ['a']],
      ]),
    )
    const feishuDays = [
      day('feishu', 'a', '2024-05-06', { lateMinutes: 1 }),
      day('feishu', 'a', '2024-05-07'),
    ]
    const dingtalkDays = [day('dingtalk', 'a', '2024-05-06', { lateMinutes: 30 })]
    collector.add([feishuDays[0] as DayResult])
    collector.add(dingtalkDays)
    collector.add([feishuDays[1] as DayResult])
    const [dingtalk] = collector.finishSource(report('dingtalk'))
    t.match(dingtalk, { source: 'dingtalk', vendor: 'dingtalk', userId: 'a', ...totalsOf(dingtalkDays) })
    const [feishu] = collector.finishSource(report('feishu'))
    t.match(feishu, { source: 'feishu', vendor: 'feishu', userId: 'a', ...totalsOf(feishuDays) })
    t.same(collector.finishSource(report('other')), [], 'a source nobody asked for has no summaries')
  },
)

t.test('employeeName is the latest non-null name of the days', async (t) => {
  const collector = new SummaryCollector(new Map([['feishu', ['a', 'b', 'c']]]))
  collector.add([
    day('feishu', 'a', '2024-05-06', { employeeName: '张三' }),
    day('feishu', 'a', '2024-05-07', { employeeName: '张三丰' }),
    day('feishu', 'a', '2024-05-08', { employeeName: null }),
    day('feishu', 'b', '2024-05-06', { employeeName: null }),
    day('feishu', 'b', '2024-05-07', { employeeName: 'Li' }),
    day('feishu', 'c', '2024-05-06', { employeeName: null }),
  ])
  t.same(
    collector.finishSource(report('feishu')).map(({ userId, employeeName }) => ({ userId, employeeName })),
    [
      { userId: 'a', employeeName: '张三丰' },
      { userId: 'b', employeeName: 'Li' },
      { userId: 'c', employeeName: null },
    ],
  )
})

t.test(
  'complete is false for users in a missing block, invalid or unauthorized, and only for them',
  async (t) => {
    const users = ['ok1', 'gap', 'gap2', 'bad', 'hidden', 'ok2']
    const collector = new SummaryCollector(new Map([['feishu', users]]))
    collector.add([day('feishu', 'gap', '2024-05-06'), day('feishu', 'ok1', '2024-05-06')])
    const summaries = collector.finishSource(
      report('feishu', {
        status: 'partial',
        missing: [
          { userIds: ['gap'], from: '2024-05-07', to: '2024-05-10' },
          { userIds: ['gap', 'gap2'], from: '2024-05-13', to: '2024-05-17' },
        ],
        invalidUserIds: ['bad'],
        unauthorizedUserIds: ['hidden'],
      }),
    )
    t.same(Object.fromEntries(summaries.map(({ userId, complete }) => [userId, complete])), {
      bad: false,
      gap: false,
      gap2: false,
      hidden: false,
      ok1: true,
      ok2: true,
    })
    t.equal(
      summaries.find((summary) => summary.userId === 'gap')?.days,
      1,
      'the days it has are still counted',
    )
  },
)

t.test('people: each summary says its person; groupBy sums the totals over the accounts', async (t) => {
  const directory = new PeopleDirectory(
    [
      {
        id: 'E2',
        name: 'Zhao',
        accounts: [
          { source: 'feishu', userId: 'z1' },
          { source: 'dingtalk', userId: 'z2' },
        ],
      },
      {
        id: 'E1',
        name: null,
        accounts: [
          { source: 'feishu', userId: 'e1' },
          { source: 'dingtalk', userId: 'e1d' },
          { source: 'dingtalk', userId: 'e1old' },
        ],
      },
      { id: 'E3', name: 'Not asked', accounts: [{ source: 'feishu', userId: 'nobody' }] },
    ],
    ['feishu', 'dingtalk'],
  )
  const collector = new SummaryCollector(
    new Map([
      ['feishu', ['e1', 'z1', 'solo']],
      ['dingtalk', ['z2', 'e1d']],
    ]),
    directory,
  )
  const e1Feishu = [day('feishu', 'e1', '2024-05-06', { lateMinutes: 10 }), day('feishu', 'e1', '2024-05-07')]
  const e1DingTalk = [day('dingtalk', 'e1d', '2024-05-20', { lateMinutes: 20 })]
  const z1 = [day('feishu', 'z1', '2024-05-06')]
  const z2 = [day('dingtalk', 'z2', '2024-05-06', { lateMinutes: 3 })]
  collector.add([...e1Feishu, ...z1, day('feishu', 'solo', '2024-05-06')])
  collector.add([...z2, ...e1DingTalk])
  const dingtalk = collector.finishSource(report('dingtalk'))
  const feishu = collector.finishSource(
    report('feishu', {
      status: 'partial',
      missing: [{ userIds: ['z1'], from: '2024-05-07', to: '2024-05-07' }],
    }),
  )
  t.same(
    [...dingtalk, ...feishu].map(({ source, userId, person }) => `${source}:${userId}=${person}`),
    ['dingtalk:e1d=E1', 'dingtalk:z2=E2', 'feishu:e1=E1', 'feishu:solo=null', 'feishu:z1=E2'],
  )

  const sum = (...lists: DayResult[][]) => totalsOf(lists.flat())
  t.same(collector.personSummaries(), [
    {
      person: 'E1',
      name: null,
      accounts: ['dingtalk:e1d', 'feishu:e1'],
      ...sum(e1DingTalk, e1Feishu),
      complete: true,
    },
    {
      person: 'E2',
      name: 'Zhao',
      accounts: ['dingtalk:z2', 'feishu:z1'],
      ...sum(z2, z1),
      complete: false,
    },
  ])
  const [e1] = collector.personSummaries()
  t.same(e1?.late, { count: 2, seconds: 30 * 60 }, 'not vacuous: both accounts’ late arrivals')
  t.equal(e1?.days, 3)
})

t.test('without people every summary has person null and there are no person rows', async (t) => {
  const collector = new SummaryCollector(new Map([['feishu', ['a']]]))
  collector.add([day('feishu', 'a', '2024-05-06')])
  t.equal(collector.finishSource(report('feishu'))[0]?.person, null)
  t.same(collector.personSummaries(), [])
})
