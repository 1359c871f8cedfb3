// One user's attendance over a range, counted from the checks of the days the service returns: what a
// payroll run computes from the days, defined exactly and the same for both vendors.
import { type Static, type TInteger, Type } from 'typebox'
import { CHECK_RESULTS, Vendor } from './day-result.js'

export const SUMMARY_NOTE =
  "Computed from the checks of the days in the answer. A tenant's own rules (grace periods, approvals, overtime rules) may count differently in the vendor's reports."

const Count = (description: string) => Type.Integer({ minimum: 0, description })
const Seconds = (description: string) => Type.Integer({ minimum: 0, description })

type CheckResultName = (typeof CHECK_RESULTS)[number]

export const CheckCounts = Type.Object(
  Object.fromEntries(
    CHECK_RESULTS.map((result) => [result, Count(`Regular checks whose result is \`${result}\`.`)]),
  ) as Record<CheckResultName, TInteger>,
  {
    title: 'CheckCounts',
    description:
      'The regular checks (the `checkIn` and `checkOut` of segments with `overtime: false`) by `result`; every result is present, zeros included. A null check is not counted.',
  },
)

export const SummaryTotals = {
  days: Count('DayResults in the range (days the vendor scheduled or recorded).'),
  workDays: Count('DayResults with at least one regular segment (`overtime: false`).'),
  checks: CheckCounts,
  late: Type.Object(
    {
      count: Count('Regular check-ins whose result is `late`, `serious_late` or `absenteeism_late`.'),
      seconds: Seconds(
        'Σ (checkedAt − scheduledAt) over those late check-ins that have both times, each never below 0.',
      ),
    },
    { description: 'Late arrivals.' },
  ),
  earlyLeave: Type.Object(
    {
      count: Count('Regular check-outs whose result is `early`.'),
      seconds: Seconds(
        'Σ (scheduledAt − checkedAt) over those early check-outs that have both times, each never below 0.',
      ),
    },
    { description: 'Early departures.' },
  ),
  missingChecks: Count('Regular checks whose result is `missing`.'),
  absentDays: Count('Work days on which every regular check (at least one) is `missing`.'),
  workedSeconds: Seconds(
    'Σ over regular segments whose check-in and check-out both have a `checkedAt` of (checkOut.checkedAt − checkIn.checkedAt), each never below 0.',
  ),
  overtime: Type.Object(
    {
      segments: Count(
        'Segments with `overtime: true` (Feishu, only with `overtime=true`) whose check-out has a `checkedAt`.',
      ),
      seconds: Seconds(
        "Σ over those of (checkOut.checkedAt − start), each never below 0; start is checkIn.checkedAt, or checkIn.scheduledAt when the overtime check-in has no time of its own (Feishu's overtime starts where the shift ended).",
      ),
    },
    { description: 'Overtime segments.' },
  ),
}

export const UserSummary = Type.Object(
  {
    source: Type.String({ description: 'Source id.' }),
    vendor: Vendor,
    userId: Type.String({ description: 'User id at the source.' }),
    employeeName: Type.Union([Type.String(), Type.Null()], {
      description: 'The latest non-null `employeeName` of the days (Feishu); null when none has one.',
    }),
    person: Type.Union([Type.String(), Type.Null()], {
      description: 'The person (PEOPLE_FILE) this account belongs to; null when it is in none.',
    }),
    ...SummaryTotals,
    complete: Type.Boolean({
      description:
        "False when any of this user's dates at this source is in the source's `missing` (or the vendor refused the user): the counts then lack those days.",
    }),
  },
  {
    title: 'UserSummary',
    description: `One user's attendance at one source over the range. ${SUMMARY_NOTE}`,
  },
)
export type UserSummary = Static<typeof UserSummary>
export type SummaryTotals = Pick<
  UserSummary,
  | 'days'
  | 'workDays'
  | 'checks'
  | 'late'
  | 'earlyLeave'
  | 'missingChecks'
  | 'absentDays'
  | 'workedSeconds'
  | 'overtime'
>

export const PersonSummary = Type.Object(
  {
    person: Type.String({ description: "The person's id in PEOPLE_FILE (the caller's own key)." }),
    name: Type.Union([Type.String(), Type.Null()], { description: "The person's name in PEOPLE_FILE." }),
    accounts: Type.Array(Type.String(), {
      description: 'The accounts (`source:userId`) of this person that the query asked for.',
    }),
    ...SummaryTotals,
    complete: Type.Boolean({ description: 'False when the summary of any of these accounts is incomplete.' }),
  },
  {
    title: 'PersonSummary',
    description: `The totals of a person's accounts summed, however many sources they are at (groupBy=person). ${SUMMARY_NOTE}`,
  },
)
export type PersonSummary = Static<typeof PersonSummary>
