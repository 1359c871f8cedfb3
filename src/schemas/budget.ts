// A source's vendor calls (and DingTalk events) this month and its budget, as GET /sources and
// /attendance/plan show them.
import { type Static, Type } from 'typebox'

export const MonthUsage = Type.Object(
  {
    month: Type.String({ description: "The calendar month, `YYYY-MM`, in the source's time zone." }),
    dataCalls: Type.Integer({
      minimum: 0,
      description: 'Data calls made this month, all replicas together.',
    }),
    tokenCalls: Type.Integer({ minimum: 0, description: 'Token calls made this month, counted apart.' }),
    eventPushes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description:
        "DingTalk: events received this month (webhook or stream), each once however often delivered, all replicas together. They count against the org's monthly event allowance. Null for other vendors.",
    }),
    eventAllowance: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description:
        "DingTalk: the events a month the org's edition allows (`events.monthlyAllowance`, default 3,000: the standard edition). A warning is logged at 80%. Null for other vendors.",
    }),
  },
  { title: 'MonthUsage' },
)

export const Budget = Type.Union(
  [
    Type.Object(
      {
        limit: Type.Integer({ description: "The source's `monthlyCallBudget` (data calls a month)." }),
        remaining: Type.Integer({ minimum: 0, description: 'Data calls left this month.' }),
        resetsAt: Type.String({
          format: 'date-time',
          description: "When the next month starts in the source's time zone (UTC).",
        }),
      },
      { title: 'Budget' },
    ),
    Type.Null(),
  ],
  {
    description:
      'Null without a `monthlyCallBudget`. A query whose plan needs more data calls than remain makes no call to the source (`VENDOR_BUDGET_EXHAUSTED`).',
  },
)
export type Budget = Static<typeof Budget>
