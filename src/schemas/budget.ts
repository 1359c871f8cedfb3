// A source's vendor calls this month and its budget, as GET /sources and /attendance/plan show them.
import { type Static, Type } from 'typebox'

export const MonthUsage = Type.Object(
  {
    month: Type.String({ description: "The calendar month, `YYYY-MM`, in the source's time zone." }),
    dataCalls: Type.Integer({
      minimum: 0,
      description: 'Data calls made this month, all replicas together.',
    }),
    tokenCalls: Type.Integer({ minimum: 0, description: 'Token calls made this month, counted apart.' }),
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
