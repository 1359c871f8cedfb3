// What happened at each source of a query: how many vendor calls it took, which users the vendor
// refused, and — when something failed — which users and dates are missing from `results`.
import { type Static, Type } from 'typebox'
import { Vendor } from './day-result.js'

/**
 * What each code of a source report's `error` means: the enum's description and the README's table of
 * source error codes are made from it (test/errors/error-catalogue.test.ts holds the code to both).
 */
export const SOURCE_ERROR_MEANINGS = {
  VENDOR_RATE_LIMITED:
    'the vendor kept throttling after every retry (Feishu 99991400, DingTalk 90018/88/90002/90005/90006).',
  VENDOR_QUOTA_EXHAUSTED:
    "the org's monthly API quota at the vendor is spent (DingTalk 90020, Feishu 99991403 on the Basic edition). Not retried: the source's remaining blocks fail at once, with no further call, until the vendor's month ends.",
  VENDOR_BUDGET_EXHAUSTED:
    "the source's own `monthlyCallBudget` for this month would be passed: the blocks that would have needed calls were not fetched (set by the service, not the vendor).",
  VENDOR_RETENTION_EXCEEDED:
    'the dates are older than the vendor keeps (`retentionDays`, DingTalk: half a year); they were not asked for.',
  VENDOR_AUTH_FAILED:
    'the app credentials were refused (Feishu 10003/10014/10015, DingTalk 40089/40001) or a fresh token was refused too.',
  VENDOR_PERMISSION_DENIED: 'the app may not read these users (Feishu 1220005, DingTalk 60011/60020).',
  VENDOR_BAD_REQUEST: 'the vendor refused the parameters (Feishu 1220001/1220004, DingTalk other codes).',
  VENDOR_UNAVAILABLE: '5xx, busy or network errors that outlasted the retries.',
  VENDOR_BAD_RESPONSE: 'the vendor answered something that is not its documented JSON.',
  TIMEOUT: 'the request deadline passed before the source finished.',
  CANCELLED: 'the client went away before the source finished.',
} as const
export type SourceErrorCode = keyof typeof SOURCE_ERROR_MEANINGS
export const SOURCE_ERROR_CODES = Object.keys(SOURCE_ERROR_MEANINGS) as SourceErrorCode[]

export const SourceError = Type.Object(
  {
    code: Type.Enum(SOURCE_ERROR_CODES, {
      description: [
        'Stable service code:',
        ...SOURCE_ERROR_CODES.map((code) => `- \`${code}\`: ${SOURCE_ERROR_MEANINGS[code]}`),
      ].join('\n'),
    }),
    message: Type.String({ description: 'What went wrong, in words; never contains a secret or token.' }),
    vendorCode: Type.Union([Type.Integer(), Type.String(), Type.Null()], {
      description: "The vendor's own error code (`code` / `errcode`, or the HTTP status), or null.",
    }),
  },
  { title: 'SourceError' },
)
export type SourceError = Static<typeof SourceError>

export const MissingPart = Type.Object(
  {
    userIds: Type.Array(Type.String(), { description: 'Users whose days in this range are missing.' }),
    from: Type.String({ format: 'date', description: 'First missing work date, inclusive.' }),
    to: Type.String({ format: 'date', description: 'Last missing work date, inclusive.' }),
  },
  { title: 'MissingPart', description: 'A block of users and dates this source could not fetch.' },
)
export type MissingPart = Static<typeof MissingPart>

/** What a warning means and what to do about it; the message of every warning with that code. */
export const WARNING_MESSAGES = {
  TIMEZONE_MISMATCH:
    "the vendor's work dates are not local midnights in this source's `timezone`: its attendance groups sit in another zone. Days were placed on the nearest local midnight, which is right for zones within ±11 h; set the source's `timezone` to the groups' zone so that times are shown in it too.",
  DAY_OUTSIDE_BLOCK:
    "the vendor returned days outside the dates asked for; they were left out (the dates asked for are still all answered or listed in `missing`). Usually a time-zone mismatch: check the source's `timezone`.",
  DUPLICATE_DAY:
    'the vendor returned a second day for the same user and date (data that changed between pages, or overlapping answers); the first one was kept and the others left out.',
} as const
export const WARNING_CODES = Object.keys(WARNING_MESSAGES) as (keyof typeof WARNING_MESSAGES)[]
export type WarningCode = keyof typeof WARNING_MESSAGES

export const SourceWarning = Type.Object(
  {
    code: Type.Enum(WARNING_CODES, {
      description: [
        'Stable warning code:',
        ...WARNING_CODES.map((code) => `- \`${code}\`: ${WARNING_MESSAGES[code]}`),
      ].join('\n'),
    }),
    message: Type.String({ description: 'What the warning means and what to do, in words.' }),
    count: Type.Integer({ minimum: 1, description: 'How many vendor days (or rows) it concerns.' }),
  },
  {
    title: 'SourceWarning',
    description:
      'Something the service noticed in the vendor data and corrected or left out. Warnings do not change `complete`.',
  },
)
export type SourceWarning = Static<typeof SourceWarning>

export const SourceReport = Type.Object(
  {
    source: Type.String({ description: 'Source id.' }),
    vendor: Vendor,
    status: Type.Union([Type.Literal('ok'), Type.Literal('partial'), Type.Literal('error')], {
      description:
        '`ok`: every requested user and date was fetched. `partial`: some blocks failed, listed in `missing`. `error`: nothing could be fetched.',
    }),
    vendorCalls: Type.Integer({
      minimum: 0,
      description:
        'Data calls made to the vendor for this query, retries included (token calls are not counted). Without faults this is the minimum the vendor limits allow.',
    }),
    invalidUserIds: Type.Array(Type.String(), {
      description: 'Users the vendor does not know (Feishu `invalid_user_ids`). DingTalk never reports them.',
    }),
    unauthorizedUserIds: Type.Array(Type.String(), {
      description:
        'Users the app may not read (Feishu `unauthorized_user_ids`). DingTalk never reports them.',
    }),
    missing: Type.Array(MissingPart, {
      description: 'What is missing from `results` because of a failure; empty when `status` is `ok`.',
    }),
    error: Type.Union([SourceError, Type.Null()], {
      description: 'The failure behind `partial` or `error`; null when `status` is `ok`.',
    }),
    warnings: Type.Array(SourceWarning, {
      description: 'What the service corrected or left out of the vendor data, by code; empty when none.',
    }),
    cache: Type.Object(
      {
        hits: Type.Integer({
          minimum: 0,
          description:
            'User-days (user × work date) answered from the result cache, including entries another query fetched while this one waited for it.',
        }),
        misses: Type.Integer({
          minimum: 0,
          description:
            'User-days not in the cache: fetched by this query, or missing. hits + misses = users × days.',
        }),
      },
      { description: "How much of this source's part of the query the result cache answered." },
    ),
  },
  { title: 'SourceReport', description: 'How one source fared for this query.' },
)
export type SourceReport = Static<typeof SourceReport>
