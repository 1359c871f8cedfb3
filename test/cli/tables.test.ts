import t from 'tap'
import type { PlanAnswer, SourcesAnswer } from '../../src/cli/api-types.js'
import { formatPlan } from '../../src/cli/plan-command.js'
import { formatSources } from '../../src/cli/sources-command.js'

t.test(
  'plan: a row per source, ~ on estimates, OVER past the budget, totals at the slowest source',
  async (t) => {
    const answer: PlanAnswer = {
      from: '2024-05-01',
      to: '2024-05-31',
      sources: [
        {
          source: 'feishu',
          vendor: 'feishu',
          userDays: 3100,
          cached: 100,
          toFetch: 3000,
          plannedCalls: 4,
          plannedCallsAreEstimate: false,
          estimatedSeconds: 0.09,
          budget: null,
        },
        {
          source: 'dingtalk',
          vendor: 'dingtalk',
          userDays: 3100,
          cached: 0,
          toFetch: 3100,
          plannedCalls: 1240,
          plannedCallsAreEstimate: true,
          estimatedSeconds: 68.9,
          budget: { limit: 10_000, remaining: 1000, resetsAt: '2024-05-31T16:00:00.000Z' },
        },
      ],
    }
    t.equal(
      formatPlan(answer),
      [
        '2024-05-01..2024-05-31',
        'SOURCE    VENDOR    USER-DAYS  CACHED  TO FETCH  CALLS   TIME      BUDGET LEFT',
        'feishu    feishu         3100     100      3000      4    <1s                -',
        'dingtalk  dingtalk       3100       0      3100  ~1240  1m09s  1000/10000 OVER',
        '1244 vendor calls, about 1m09s',
      ].join('\n'),
    )
  },
)

t.test('sources: limits, retention and the month so far', async (t) => {
  const source = {
    timezone: 'Asia/Shanghai',
    maxUsersPerCall: 50,
    load: { running: 0, queued: 0 },
    usage: { month: '2024-05', dataCalls: 12, tokenCalls: 1 },
  }
  const answer: SourcesAnswer = {
    sources: [
      {
        ...source,
        id: 'hq',
        vendor: 'feishu',
        rateLimitPerSecond: 45,
        maxDaysPerCall: 30,
        retentionDays: 0,
        budget: null,
      },
      {
        ...source,
        id: 'sub',
        vendor: 'dingtalk',
        rateLimitPerSecond: 18,
        maxDaysPerCall: 7,
        retentionDays: 180,
        budget: { limit: 5000, remaining: 4988, resetsAt: '2024-05-31T16:00:00.000Z' },
      },
    ],
  }
  t.equal(
    formatSources(answer),
    [
      'SOURCE  VENDOR    TIMEZONE       CALLS/S  USERS/CALL  DAYS/CALL  RETENTION  CALLS THIS MONTH  BUDGET LEFT',
      'hq      feishu    Asia/Shanghai       45          50         30          -                12            -',
      'sub     dingtalk  Asia/Shanghai       18          50          7       180d                12    4988/5000',
    ].join('\n'),
  )
  t.equal(formatSources({ sources: [] }), 'no sources this key may read')
})
