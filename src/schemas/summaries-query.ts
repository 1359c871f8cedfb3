// The request and answer of /attendance/summaries: the fields of /attendance/results (without includeRaw),
// `month` as a shorthand for its first and last day, and `groupBy=person`.
import { type Static, Type } from 'typebox'
import { AttendanceBody, AttendanceQuerystring } from './attendance-query.js'
import { SourceReport } from './source-report.js'
import { PersonSummary, SUMMARY_NOTE, UserSummary } from './user-summary.js'

const { from, to, includeRaw: _q, ...queryFields } = AttendanceQuerystring.properties
const { from: _f, to: _t, includeRaw: _b, ...bodyFields } = AttendanceBody.properties

const From = {
  ...from,
  description: 'First work date, inclusive, `YYYY-MM-DD`; with `to`, instead of `month`.',
}
const To = { ...to, description: 'Last work date, inclusive, `YYYY-MM-DD`; with `from`, instead of `month`.' }
const Month = Type.String({
  pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
  description:
    'A calendar month, `YYYY-MM`: its first and last day. Either `month` or `from` and `to`, never both (400 `ATT_INVALID_RANGE`).',
  examples: ['2024-05'],
})

const range = {
  from: Type.Optional(From),
  to: Type.Optional(To),
  month: Type.Optional(Month),
  groupBy: Type.Optional(
    Type.Literal('person', {
      description:
        'Also sum the totals of each person (PEOPLE_FILE) over their accounts, as `people` (CSV: a row per person instead of per user).',
    }),
  ),
}

export const SummariesQuerystring = Type.Object({ ...range, ...queryFields }, { additionalProperties: false })
export type SummariesQuerystring = Static<typeof SummariesQuerystring>

export const SummariesBody = Type.Object({ ...range, ...bodyFields }, { additionalProperties: false })
export type SummariesBody = Static<typeof SummariesBody>

/**
 * The body as the document gives it: `month`, or `from` and `to`, never both nor neither, so that tools
 * build only bodies the route takes. The route validates the flat SummariesBody and checks the rule
 * itself (rangeOf), answering 400 `ATT_INVALID_RANGE` in words rather than a schema refusal.
 */
export const SummariesBodyShapes = Type.Union(
  [
    Type.Object(
      { month: Month, groupBy: range.groupBy, ...bodyFields },
      { additionalProperties: false, title: 'SummariesOfMonth' },
    ),
    Type.Object(
      { from: From, to: To, groupBy: range.groupBy, ...bodyFields },
      { additionalProperties: false, title: 'SummariesOfRange' },
    ),
  ],
  {
    description: 'Either `month`, or `from` and `to`; the other fields as for POST /attendance/results.',
    'x-examples': {
      month: {
        summary: 'A calendar month, per person',
        value: { month: '2024-05', users: ['feishu:u1', 'dingtalk:d1'], groupBy: 'person' },
      },
      range: {
        summary: 'A range of work dates',
        value: {
          from: '2024-05-06',
          to: '2024-05-10',
          users: ['feishu:u1', { source: 'dingtalk', userId: 'd1' }],
        },
      },
    },
  },
)

export const SummariesResponse = Type.Object(
  {
    from: Type.String({ format: 'date', description: 'First work date of the range.' }),
    to: Type.String({ format: 'date', description: 'Last work date of the range.' }),
    summaries: Type.Array(UserSummary, {
      description: `One per user asked for (with or without days), sorted by source, then userId. ${SUMMARY_NOTE}`,
    }),
    complete: Type.Boolean({
      description: 'True only when every source is `ok` and no user was refused: every count has every day.',
    }),
    sources: Type.Array(SourceReport, { description: 'One report per source named in the request.' }),
    people: Type.Optional(
      Type.Array(PersonSummary, {
        description: 'Only with `groupBy=person`: one row per person, by person id.',
      }),
    ),
  },
  { title: 'SummariesResponse' },
)
export type SummariesResponse = Static<typeof SummariesResponse>
