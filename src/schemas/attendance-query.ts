// The request and answer of /attendance/results. GET takes the fields as query parameters, POST as a JSON
// body; both describe the same query and give the same answer.
import { type Static, Type } from 'typebox'
import { DayResult } from './day-result.js'
import { BomField, FormatField } from './format.js'
import { SourceReport } from './source-report.js'

const USER_ID_MAX_LENGTH = 64
const SOURCE_ID_MAX_LENGTH = 32
// A user id as both vendors issue them; anything else is refused before a vendor is called.
export const USER_ID_PATTERN = `^[A-Za-z0-9_.@-]{1,${USER_ID_MAX_LENGTH}}$`
// Source ids are slugs; they are also used as the part before the first colon of a user reference.
export const SOURCE_ID_PATTERN = `^[a-z0-9][a-z0-9_-]{0,${SOURCE_ID_MAX_LENGTH - 1}}$`

/**
 * Node refuses a request whose request line and headers together pass this many bytes: 431, before any
 * route (plugins/client-error-handler.ts). The service sets it (plugins/connections.ts) rather than take
 * the default of Node's day, so that the number of users a GET carries, below, holds.
 */
export const MAX_HEADER_BYTES = 16_384
/** Left for a GET's other headers (Host, Authorization, Accept, User-Agent…) and its other parameters. */
const OTHER_REQUEST_BYTES = 2048
/** The longest `users` entry the patterns allow, percent-encoded as clients send it (`:`, `,`, `@`: 3 bytes). */
const LONGEST_ENTRY_BYTES = SOURCE_ID_MAX_LENGTH + 3 + USER_ID_MAX_LENGTH * 3 + 3
/** Users a GET carries whatever their ids; a longer list goes in a POST body. */
export const GET_USERS_ANY_IDS = Math.floor((MAX_HEADER_BYTES - OTHER_REQUEST_BYTES) / LONGEST_ENTRY_BYTES)
/** Users of ids like `feishu:abd754f7` (a Feishu user_id) a GET carries: the typical figure. */
const GET_USERS_TYPICAL = Math.floor(
  (MAX_HEADER_BYTES - OTHER_REQUEST_BYTES) / encodeURIComponent('feishu:abd754f7,').length,
)

/** What a GET's `users` may hold, in words, for the document. */
export const GET_USERS_LIMIT = `A GET's request line and headers together may take ${MAX_HEADER_BYTES} bytes (past that: 431): that is at least ${GET_USERS_ANY_IDS} users whatever their ids, about ${Math.floor(GET_USERS_TYPICAL / 100) * 100} of ids like \`feishu:abd754f7\`. For longer lists (up to \`MAX_USERS\`) use POST.`

const WorkDate = (description: string, example: string) =>
  Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description, examples: [example] })

// Optional with a default: a caller may leave them out (Ajv fills in false), and the document says so.
const flag = (description: string) => Type.Optional(Type.Boolean({ default: false, description }))

/** `maxAge` of a route, in its words: the oldest cached day accepted, in whole seconds up to a year. */
export function maxAgeField(description: string) {
  return Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000, description, examples: [3600] }))
}

const flags = {
  overtime: flag(
    'Ask Feishu for overtime segments (`need_overtime_result`); they come back with `overtime: true`.',
  ),
  includeRaw: flag("Attach each vendor's raw rows to the day they produced, as `raw`."),
  strict: flag('Answer 502 instead of 200 when the result is not complete.'),
  maxAge: maxAgeField(
    'The oldest cached day accepted, in seconds (each day has `fetchedAt`); older ones are fetched again. `0` reads nothing from the cache and refreshes every day it fetches. Without it, any day the cache still keeps is served (see the README: settled days 6 h, recent days 5 min by default).',
  ),
  format: Type.Optional(FormatField),
  bom: Type.Optional(BomField),
}

const range = {
  from: WorkDate('First work date, inclusive, `YYYY-MM-DD`.', '2024-05-06'),
  to: WorkDate(
    'Last work date, inclusive, `YYYY-MM-DD`. At most `MAX_RANGE_DAYS` days after `from`.',
    '2024-05-10',
  ),
}

export const AttendanceQuerystring = Type.Object(
  {
    ...range,
    users: Type.String({
      minLength: 1,
      description: `Comma-separated \`<sourceId>:<userId>\` (split on the first colon), or \`person:<id>\` for every account of a person (PEOPLE_FILE, see \`/people\`); 1 to \`MAX_USERS\` distinct users. A repeated entry is served once. ${GET_USERS_LIMIT}`,
      examples: ['feishu:u1,dingtalk:d1'],
    }),
    ...flags,
  },
  { additionalProperties: false },
)
export type AttendanceQuerystring = Static<typeof AttendanceQuerystring>

export const UserRef = Type.Union([
  Type.String({ minLength: 1, description: '`<sourceId>:<userId>`', examples: ['feishu:u1'] }),
  Type.Object(
    {
      source: Type.String({ description: 'Source id.', examples: ['dingtalk'] }),
      userId: Type.String({ description: 'User id at that source.', examples: ['d1'] }),
    },
    { additionalProperties: false },
  ),
])

export const AttendanceBody = Type.Object(
  {
    ...range,
    users: Type.Array(UserRef, {
      minItems: 1,
      description:
        '`<sourceId>:<userId>` strings (or `person:<id>` for every account of a person: PEOPLE_FILE, see `/people`) or `{source, userId}` objects, 1 to `MAX_USERS` distinct users. A repeated entry is served once.',
      examples: [['feishu:u1', { source: 'dingtalk', userId: 'd1' }]],
    }),
    ...flags,
  },
  { additionalProperties: false },
)
export type AttendanceBody = Static<typeof AttendanceBody>

export const AttendanceResponse = Type.Object(
  {
    from: Type.String({ format: 'date', description: 'The requested first work date.' }),
    to: Type.String({ format: 'date', description: 'The requested last work date.' }),
    complete: Type.Boolean({
      description:
        'True only when every source is `ok` and no user was invalid or unauthorized: nothing the query asked for is missing.',
    }),
    results: Type.Array(DayResult, {
      description:
        'One entry per user per work day that the vendor returned, sorted by source, userId, workDate. Days without a schedule (weekends, for instance) have no entry.',
    }),
    sources: Type.Array(SourceReport, { description: 'One report per source named in the request.' }),
  },
  { title: 'AttendanceResponse' },
)
export type AttendanceResponse = Static<typeof AttendanceResponse>
