// Turns the validated request fields (GET query or POST body) into a query per source, refusing with a
// 400 everything the vendors would refuse later or that could not be answered: bad dates, reversed or too
// long ranges, unknown sources, malformed user ids, too many users.

import { displayChar } from '../../errors/error-text.js'
import {
  InvalidDateError,
  MalformedUserError,
  NoUsersError,
  RangeReversedError,
  RangeTooLongError,
  TooManyUsersError,
  UnknownPersonError,
  UnknownSourceError,
} from '../../errors/errors.js'
import { parseWorkDate } from '../../platform/time/work-date.js'
import { USER_ID_PATTERN } from '../../schemas/attendance-query.js'

export type UserRefInput = string | { source: string; userId: string }

export interface QueryInput {
  from: string
  to: string
  users: string | readonly UserRefInput[]
  overtime?: boolean
  includeRaw?: boolean
  strict?: boolean
  maxAge?: number
}

export interface QueryLimits {
  maxRangeDays: number
  maxUsers: number
  sourceIds: readonly string[]
  /** The people `person:<id>` names (PEOPLE_FILE); without them such a user is an unknown person. */
  people?: { accountsOf(personId: string): readonly { source: string; userId: string }[] | undefined }
}

/** The prefix of a user reference that names a person instead of a source. */
export const PERSON_PREFIX = 'person'

export interface AttendanceQuery {
  from: string
  to: string
  fromDay: number
  toDay: number
  /** Distinct user ids per source id, in the order first named. */
  usersBySource: Map<string, string[]>
  overtime: boolean
  includeRaw: boolean
  strict: boolean
  /** Seconds; undefined: any cached entry still kept. */
  maxAgeSeconds: number | undefined
}

const USER_ID = new RegExp(USER_ID_PATTERN)

export function parseQuery(input: QueryInput, limits: QueryLimits): AttendanceQuery {
  const fromDay = parseWorkDate(input.from)
  if (fromDay === null) throw new InvalidDateError('from', input.from)
  const toDay = parseWorkDate(input.to)
  if (toDay === null) throw new InvalidDateError('to', input.to)
  if (fromDay > toDay) throw new RangeReversedError(input.from, input.to)
  const span = toDay - fromDay + 1
  if (span > limits.maxRangeDays) throw new RangeTooLongError(input.from, input.to, span, limits.maxRangeDays)

  return {
    from: input.from,
    to: input.to,
    fromDay,
    toDay,
    usersBySource: parseUsers(input.users, limits),
    overtime: input.overtime ?? false,
    includeRaw: input.includeRaw ?? false,
    strict: input.strict ?? false,
    maxAgeSeconds: input.maxAge,
  }
}

function parseUsers(users: QueryInput['users'], limits: QueryLimits): Map<string, string[]> {
  const refs = typeof users === 'string' ? splitUserList(users) : users
  const bySource = new Map<string, Set<string>>()
  let distinct = 0
  const add = (source: string, userId: string) => {
    if (!limits.sourceIds.includes(source)) {
      throw new UnknownSourceError(printable(source), limits.sourceIds.join(', ') || 'none')
    }
    if (!USER_ID.test(userId)) {
      throw new MalformedUserError(
        printable(`${source}:${userId}`),
        'a user id is 1-64 letters, digits, "_", "-", "." or "@"',
      )
    }
    const ids = bySource.get(source) ?? new Set<string>()
    bySource.set(source, ids)
    if (!ids.has(userId)) {
      ids.add(userId)
      // Counted as we go so that a huge list is refused without being read to the end.
      if (++distinct > limits.maxUsers) throw new TooManyUsersError(limits.maxUsers)
    }
  }
  for (const ref of refs) {
    const { source, userId } = typeof ref === 'string' ? splitUserRef(ref) : ref
    if (source !== PERSON_PREFIX) {
      add(source, userId)
      continue
    }
    // person:<id> stands for every account of that person.
    const accounts = limits.people?.accountsOf(userId)
    if (!accounts) throw new UnknownPersonError(printable(userId))
    for (const account of accounts) add(account.source, account.userId)
  }
  if (distinct === 0) throw new NoUsersError()
  return new Map([...bySource].map(([source, ids]) => [source, [...ids]]))
}

/**
 * Splits a GET list on commas. Only spaces around an entry are dropped ("a, b" reads naturally): control
 * characters and other Unicode white space are not, so that they are refused like anywhere else in an id
 * instead of passing silently here and failing the same entry in a POST.
 */
function splitUserList(text: string): string[] {
  return text
    .split(',')
    .map(trimSpaces)
    .filter((part) => part.length > 0)
}

// A loop, not /^ +| +$/: that regex is quadratic on a long run of spaces followed by anything else.
function trimSpaces(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && text.charCodeAt(start) === 0x20) start++
  while (end > start && text.charCodeAt(end - 1) === 0x20) end--
  return text.slice(start, end)
}

function splitUserRef(ref: string): { source: string; userId: string } {
  const colon = ref.indexOf(':')
  if (colon < 0) throw new MalformedUserError(printable(ref), 'expected <sourceId>:<userId>')
  return { source: ref.slice(0, colon), userId: ref.slice(colon + 1) }
}

/**
 * Echoes user input in an error safely: control characters (error-text.ts) and lone surrogates escaped as
 * \uXXXX, quotes and backslashes as in JSON (the input is shown between quotes), length bounded. Cut
 * between code points, never inside an escape (`\u00...`) or between the halves of a surrogate pair, and
 * without escaping more of a huge input than it shows.
 */
function printable(text: string, max = 80): string {
  let shown = ''
  let cut = -1
  for (const char of text) {
    const escaped = char === '"' || char === '\\' ? `\\${char}` : displayChar(char)
    if (cut < 0 && shown.length + escaped.length > max - 3) cut = shown.length
    shown += escaped
    if (shown.length > max) return `${shown.slice(0, cut)}...`
  }
  return shown
}
