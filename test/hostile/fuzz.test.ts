// Hostile input, generated: GET and POST /attendance/results with valid queries (which must answer 200 with a
// well-formed AttendanceResponse that matches the query), queries broken in one known way (which must answer
// a 4xx in the error shape and call no vendor), and random garbage (either, never anything else). After every
// request: no 5xx, no hang, no vendor call unless 200, no prototype polluted.
//
// Reproduce a run with FUZZ_SEED=<seed> (printed as a comment); FUZZ_RUNS changes the number of runs. A
// counterexample prints as {kind, request}: paste its request into corpus.json with the status it should get.
import fc from 'fast-check'
import t from 'tap'
import {
  type Answer,
  type Expectation,
  type HostileRequest,
  problemsWith,
  prototypeSnapshot,
  send,
  vendorCallCounter,
} from '../helpers/hostile.js'
import { buildTestApp } from '../helpers/test-app.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_506)
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)

const PATH = '/attendance/results'
const SOURCES = ['feishu', 'dingtalk']
const FIELDS = ['from', 'to', 'users', 'overtime', 'includeRaw', 'strict']
const FLAGS = ['overtime', 'includeRaw', 'strict']
const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000
const MAX_RANGE_DAYS = 93 // the default, which buildTestApp keeps
const MAX_USERS = 5000

// ---------------------------------------------------------------------------------------------------------
// Cases

interface ValidQuery {
  from: string
  to: string
  users: { source: string; userId: string }[]
  flags: Partial<Record<'overtime' | 'includeRaw' | 'strict', boolean>>
}

/** valid: must be 200 and match `query`; invalid: must be a 4xx (`expect` when known); any: 200 or 4xx. */
interface Case {
  kind: 'valid' | 'invalid' | 'any'
  why: string
  request: HostileRequest
  expect?: Expectation
  query?: ValidQuery
}

type Param = [key: string, value: string]

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const iso = (epochDay: number) => new Date(epochDay * DAY_MS).toISOString().slice(0, 10)
const FIRST_DAY = Date.UTC(2023, 0, 1) / DAY_MS
const LAST_DAY = Date.UTC(2025, 11, 31) / DAY_MS
const epochDay = fc.integer({ min: FIRST_DAY, max: LAST_DAY })

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-'
const idChar = fc.constantFrom(...ID_CHARS)
// invalid_ and unauth_ ids make the Feishu simulator refuse them: a valid request, but not a complete one.
const userId = fc
  .string({ unit: idChar, minLength: 1, maxLength: 64 })
  .filter((id) => !id.startsWith('invalid_') && !id.startsWith('unauth_'))
const user = fc.record({ source: fc.constantFrom(...SOURCES), userId })

// Few users and few days: the simulators answer in-process, but at the vendors' rate limits.
const validQuery: fc.Arbitrary<ValidQuery> = fc
  .record({
    start: epochDay,
    extra: fc.integer({ min: 0, max: 4 }),
    users: fc.array(user, { minLength: 1, maxLength: 4 }),
    overtime: fc.option(fc.boolean(), { nil: undefined }),
    includeRaw: fc.option(fc.boolean(), { nil: undefined }),
    strict: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ start, extra, users, ...flags }) => ({
    from: iso(start),
    to: iso(start + extra),
    users,
    flags: Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)),
  }))

/** Characters that break parsers: controls, separators, odd white space, lone surrogates, astral. */
const hostileChar = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\u0001',
    '\u0007',
    '\b',
    '\t',
    '\n',
    '\v',
    '\f',
    '\r',
    '\u001b',
    '\u007f',
    '\u0085',
    '\u00a0',
    '\u200b',
    '\u202e',
    '\u2028',
    '\u3000',
    '\ufeff',
    '\ufffd',
    '\uffff',
    '\ud800',
    '\udfff',
    '😀',
    '%',
    '&',
    '=',
    '+',
    ',',
    ':',
    ';',
    '#',
    '?',
    '/',
    '\\',
    '"',
    "'",
    '<',
    '>',
    '[',
    ']',
    '{',
    '}',
    ' ',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  idChar,
)
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', '9', ' ', '%00', 'é', '😀', ':', '\u0000'),
        fc.integer({ min: 1000, max: 10_000 }),
      )
      .map(([unit, times]) => unit.repeat(times)),
  },
)

/** Percent-encodes everything but the unreserved characters; a lone surrogate goes as U+FFFD. */
function encodeStrict(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** What a person types: ':' ',' '@' left as they are, spaces as '+'. */
function encodeReadable(text: string): string {
  return encodeStrict(text)
    .replaceAll('%3A', ':')
    .replaceAll('%2C', ',')
    .replaceAll('%40', '@')
    .replaceAll('%20', '+')
}

const renderQuery = (params: Param[], encode: (text: string) => string = encodeStrict) =>
  params.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&')

function trimSpaces(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && text[start] === ' ') start++
  while (end > start && text[end - 1] === ' ') end--
  return text.slice(start, end)
}

const insertAt = <T>(list: readonly T[], item: T, position: number): T[] => {
  const at = position % (list.length + 1)
  return [...list.slice(0, at), item, ...list.slice(at)]
}

const spliceText = (text: string, insert: string, position: number) => {
  const at = position % (text.length + 1)
  return text.slice(0, at) + insert + text.slice(at)
}

// ---------------------------------------------------------------------------------------------------------
// GET

function getParams(query: ValidQuery, separator = ','): Param[] {
  return [
    ['from', query.from],
    ['to', query.to],
    ['users', query.users.map((u) => `${u.source}:${u.userId}`).join(separator)],
    ...Object.entries(query.flags).map(([key, value]): Param => [key, String(value)]),
  ]
}

const getRequest = (query: string): HostileRequest => ({ method: 'GET', url: `${PATH}?${query}` })

const validGet: fc.Arbitrary<Case> = fc
  .record({
    query: validQuery,
    separator: fc.constantFrom(',', ', ', ' , ', ',,'),
    trailingComma: fc.boolean(),
    repeatFirst: fc.boolean(),
    readable: fc.boolean(),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  })
  .map(({ query, separator, trailingComma, repeatFirst, readable, order }) => {
    const params = getParams(query, separator).map(([key, value]): Param => {
      if (key !== 'users') return [key, value]
      const first = query.users[0]
      const repeated = repeatFirst && first ? `${value}${separator}${first.source}:${first.userId}` : value
      return [key, trailingComma ? `${repeated},` : repeated]
    })
    const shuffled = params
      .map((param, index) => ({ param, rank: order[index] ?? 0 }))
      .sort((a, b) => a.rank - b.rank)
      .map(({ param }) => param)
    return {
      kind: 'valid',
      why: 'valid GET',
      request: getRequest(renderQuery(shuffled, readable ? encodeReadable : encodeStrict)),
      query,
    }
  })

const BAD_DATES = [
  '2024-02-30',
  '2023-02-29',
  '2024-13-01',
  '2024-00-10',
  '2024-04-31',
  '2024-05-00',
  '0000-01-01',
  '0099-12-31',
  '2024-5-6',
  '20240506',
  '2024/05/06',
  '2024-05-06T00:00:00Z',
  ' 2024-05-06',
  '2024-05-06 ',
  '2024-05-06\u0000',
  '2024-05-06\n',
  '\u0000',
  '２０２４-05-06',
  '+2024-05-06',
  '-2024-05-06',
  '',
  'null',
  '[object Object]',
]
const badDate = fc.oneof(
  fc.constantFrom(...BAD_DATES),
  hostileString.filter((text) => !DATE.test(text)),
)

/** One entry that spoils a GET user list (comma-free, so that it stays one entry). */
/** White space and invisible characters that are not a plain space: wrapped around a good entry, they spoil it. */
const NOT_A_SPACE = [
  '\t',
  '\n',
  '\r',
  '\v',
  '\f',
  '\u0000',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\u3000',
  '\ufeff',
]
const wrappedEntry = fc
  .tuple(user, fc.constantFrom(...NOT_A_SPACE), fc.constantFrom('before', 'after', 'at the colon'))
  .map(([{ source, userId }, char, where]) =>
    where === 'before'
      ? `${char}${source}:${userId}`
      : where === 'after'
        ? `${source}:${userId}${char}`
        : `${source}${char}:${char}${userId}`,
  )

const badGetEntry = fc.oneof(
  wrappedEntry,
  // no colon
  hostileString.filter((text) => !text.includes(':') && !text.includes(',') && trimSpaces(text) !== ''),
  // a source that is not configured
  fc
    .tuple(
      hostileString.filter((text) => !text.includes(',') && !text.includes(':')),
      userId,
    )
    .filter(([source]) => !SOURCES.includes(trimSpaces(source)))
    .map(([source, id]) => `${source}:${id}`),
  // a user id that is not one
  fc
    .tuple(
      fc.constantFrom(...SOURCES),
      hostileString.filter((text) => !text.includes(',') && !USER_ID.test(trimSpaces(text))),
    )
    .map(([source, id]) => `${source}:${id}`),
  // a user id over 64 characters
  fc
    .tuple(fc.constantFrom(...SOURCES), fc.integer({ min: 65, max: 10_000 }))
    .map(([source, length]) => `${source}:${'u'.repeat(length)}`),
)

const tooManyUsers = (prefix: string) =>
  Array.from({ length: MAX_USERS + 1 }, (_, i) => `${SOURCES[i % 2]}:${prefix}${i}`)

/** Undecodable percent sequences; none can complete into ASCII whatever follows them. */
const BAD_PERCENT = [
  '%FF',
  '%FE',
  '%FF%FE',
  '%C0%80',
  '%C1%BF',
  '%ED%A0%80',
  '%80',
  '%BF',
  '%E2%82',
  '%F4%90%80%80',
  '%F8',
]

/** A valid GET broken in one known way. */
const invalidGet: fc.Arbitrary<Case> = fc
  .record({ query: validQuery, position: fc.nat(), pick: fc.nat() })
  .chain(({ query, position, pick }) => {
    const params = getParams(query)
    const at = <T>(list: readonly T[]) => list[pick % list.length] as T
    const replace = (key: string, value: string) => params.map(([k, v]): Param => [k, k === key ? value : v])
    const invalid = (why: string, text: string, expect: Expectation = { status: 400 }): Case => ({
      kind: 'invalid',
      why,
      request: getRequest(text),
      expect,
    })
    const start = FIRST_DAY + (pick % (LAST_DAY - FIRST_DAY))
    return fc.oneof(
      badDate.map((date) =>
        invalid(`bad ${at(['from', 'to'])}`, renderQuery(replace(at(['from', 'to']), date))),
      ),
      fc
        .integer({ min: 1, max: 400 })
        .map((back) =>
          invalid(
            'reversed range',
            renderQuery([
              ...replace('from', iso(start)).filter(([k]) => k !== 'to'),
              ['to', iso(start - back)],
            ]),
            { status: 400, code: 'ATT_RANGE_REVERSED' },
          ),
        ),
      fc
        .integer({ min: MAX_RANGE_DAYS, max: 4000 })
        .map((span) =>
          invalid(
            'range too long',
            renderQuery([
              ...replace('from', iso(start)).filter(([k]) => k !== 'to'),
              ['to', iso(start + span)],
            ]),
            { status: 400, code: 'ATT_RANGE_TOO_LONG' },
          ),
        ),
      badGetEntry.map((entry) => {
        const users = insertAt(
          query.users.map((u) => `${u.source}:${u.userId}`),
          entry,
          position,
        ).join(',')
        return invalid('a bad user entry', renderQuery(replace('users', users)))
      }),
      // Built only when drawn: 5001 users are 60 kB of query.
      fc.constant(null).map(() =>
        invalid(
          'too many users',
          renderQuery(replace('users', tooManyUsers('u').join(',')), encodeReadable),
          {
            status: 400,
            code: 'ATT_TOO_MANY_USERS',
          },
        ),
      ),
      fc
        .constantFrom(',', ' , ,', ',,,,')
        .map((users) =>
          invalid('no users', renderQuery(replace('users', users)), { status: 400, code: 'ATT_NO_USERS' }),
        ),
      fc.constantFrom(...params).chain(([key, value]) =>
        fc.oneof(fc.constant(value), hostileString).map((second) =>
          invalid(`${key} given twice`, renderQuery([...params, [key, second]]), {
            status: 400,
            code: 'FST_ERR_VALIDATION',
          }),
        ),
      ),
      fc.constantFrom('[]', '[0]', '[users]', '.0').map((suffix) => {
        const key = at(['from', 'to', 'users'])
        return invalid(
          `${key}${suffix}`,
          renderQuery(
            params.flatMap(([k, v]): Param[] =>
              k === key
                ? [
                    [`${k}${suffix}`, v],
                    [`${k}${suffix}`, v],
                  ]
                : [[k, v]],
            ),
          ),
          { status: 400, code: 'FST_ERR_VALIDATION' },
        )
      }),
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(
              '__proto__',
              'constructor',
              'prototype',
              '__proto__[polluted]',
              'constructor[prototype][polluted]',
              '__proto__.polluted',
              'toString',
              'hasOwnProperty',
              'FROM',
              'Users',
              'users ',
              'from\u0000',
              'user',
            ),
            hostileString,
          ),
          fc.oneof(fc.constant('polluted'), hostileString),
        )
        .filter(([key]) => !FIELDS.includes(key) && key !== '')
        .map(([key, value]) =>
          invalid(
            `extra parameter ${key.slice(0, 20)}`,
            renderQuery(insertAt(params, [key, value], position)),
            {
              status: 400,
              code: 'FST_ERR_VALIDATION',
            },
          ),
        ),
      fc
        .oneof(
          fc.constantFrom(
            '1',
            '0',
            'yes',
            'no',
            'TRUE',
            'False',
            '',
            'null',
            'undefined',
            'true ',
            ' true',
            'true\u0000',
            'on',
          ),
          hostileString,
        )
        .filter((value) => value !== 'true' && value !== 'false')
        .map((value) => {
          const flag = at(FLAGS)
          return invalid(
            `${flag}=${value.slice(0, 20)}`,
            renderQuery([...params.filter(([k]) => k !== flag), [flag, value]]),
            { status: 400, code: 'FST_ERR_VALIDATION' },
          )
        }),
      fc.constantFrom('from', 'to', 'users').map((key) =>
        invalid(`without ${key}`, renderQuery(params.filter(([k]) => k !== key)), {
          status: 400,
          code: 'FST_ERR_VALIDATION',
        }),
      ),
      // Undecodable bytes or raw non-ASCII text inside one key or value, as sent (not encoded again).
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(...BAD_PERCENT),
            fc
              .string({ unit: 'binary', minLength: 1, maxLength: 4 })
              .filter((text) => [...text].every((char) => char.charCodeAt(0) > 0x7f)),
          ),
          fc.boolean(),
          fc.nat(),
        )
        .map(([insert, inKey, offset]) => {
          const target = pick % params.length
          const query = params
            .map(([key, value], index) => {
              const [k, v] = [encodeStrict(key), encodeStrict(value)]
              if (index !== target) return `${k}=${v}`
              // Between two escapes, not inside one.
              const text = inKey ? k : v
              const boundaries = [
                0,
                ...[...text.matchAll(/%[0-9A-F]{2}|[^%]/g)].map((m) => m.index + m[0].length),
              ]
              const cut = boundaries[offset % boundaries.length] ?? 0
              const spoiled = text.slice(0, cut) + insert + text.slice(cut)
              return inKey ? `${spoiled}=${v}` : `${k}=${spoiled}`
            })
            .join('&')
          return invalid(`undecodable ${JSON.stringify(insert)}`, query, { status: 400 })
        }),
      fc
        .constantFrom(
          '/attendance/results%FF',
          '/attendance/%C0%80results',
          '/attendance/results/',
          '/ATTENDANCE/results',
          '/attendance/results%00',
        )
        .map((path) => ({
          kind: 'invalid' as const,
          why: `path ${path}`,
          request: { method: 'GET', url: `${path}?${renderQuery(params)}` },
          expect: { status: '4xx' as const },
        })),
      fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS').map((method) => ({
        kind: 'invalid' as const,
        why: method,
        request: { method, url: `${PATH}?${renderQuery(params)}` },
        expect: { status: 405, code: 'ATT_METHOD_NOT_ALLOWED' },
      })),
    )
  })

const QUERY_TOKENS = [
  'from',
  'to',
  'users',
  'strict',
  'overtime',
  'includeRaw',
  '=',
  '&',
  '%',
  '%FF',
  '%00',
  '%20',
  '%2C',
  '%3A',
  '+',
  ',',
  ':',
  ';',
  'feishu',
  'dingtalk',
  'u1',
  '2024-05-06',
  '2024-05-07',
  'true',
  '[]',
  '__proto__',
  'constructor',
  '#',
  '?',
  '\t',
  '\n',
  '\u0000',
  'é',
  '😀',
]

/** Garbage: token soup, and valid queries with random text spliced in. */
const anyGet: fc.Arbitrary<Case> = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom(...QUERY_TOKENS), fc.string({ unit: 'binary', maxLength: 3 })), {
      maxLength: 30,
    })
    .map((tokens) => ({ kind: 'any' as const, why: 'token soup', request: getRequest(tokens.join('')) })),
  fc
    .tuple(
      validQuery,
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_TOKENS), hostileChar), fc.nat()), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([query, splices]) => {
      let text = renderQuery(getParams(query), encodeReadable)
      for (const [insert, position] of splices) text = spliceText(text, insert, position)
      return { kind: 'any' as const, why: 'spliced GET', request: getRequest(text) }
    }),
)

// ---------------------------------------------------------------------------------------------------------
// POST

type Entry = [key: string, json: string]

function postEntries(query: ValidQuery, asObjects: readonly boolean[] = []): Entry[] {
  const users = query.users.map((u, i) =>
    asObjects[i % Math.max(asObjects.length, 1)]
      ? { source: u.source, userId: u.userId }
      : `${u.source}:${u.userId}`,
  )
  return [
    ['from', JSON.stringify(query.from)],
    ['to', JSON.stringify(query.to)],
    ['users', JSON.stringify(users)],
    ...Object.entries(query.flags).map(([key, value]): Entry => [key, JSON.stringify(value)]),
  ]
}

/** JSON text by hand: keys such as "__proto__" and repeated keys stay exactly as written. */
const renderBody = (entries: Entry[], space = '') =>
  `{${space}${entries.map(([key, json]) => `${JSON.stringify(key)}:${space}${json}`).join(`,${space}`)}${space}}`

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
]

const postRequest = (
  body: HostileRequest['body'],
  contentType: string | null = 'application/json',
): HostileRequest => ({
  method: 'POST',
  url: PATH,
  ...(contentType === null ? {} : { headers: { 'content-type': contentType } }),
  body,
})

const validPost: fc.Arbitrary<Case> = fc
  .record({
    query: validQuery,
    asObjects: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    space: fc.constantFrom('', ' ', '\n  ', '\t'),
    contentType: fc.constantFrom(...JSON_TYPES),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  })
  .map(({ query, asObjects, space, contentType, order }) => {
    const entries = postEntries(query, asObjects)
      .map((entry, index) => ({ entry, rank: order[index] ?? 0 }))
      .sort((a, b) => a.rank - b.rank)
      .map(({ entry }) => entry)
    return {
      kind: 'valid',
      why: 'valid POST',
      request: postRequest(renderBody(entries, space), contentType),
      query,
    }
  })

/** JSON values of every type but the one a field wants, hostile ones included. */
const WRONG_FOR_STRING = [
  '20240506',
  'true',
  'null',
  '[]',
  '["2024-05-06"]',
  '{}',
  '{"$date":"2024-05-06"}',
  '1e400',
  '-0',
]
const WRONG_FOR_BOOLEAN = ['"true"', '"false"', '1', '0', 'null', '[]', '[true]', '{}', '"yes"', '""']
const WRONG_FOR_USERS = [
  '"feishu:u1"',
  '"feishu:u1,dingtalk:d1"',
  '1',
  'null',
  'true',
  '{}',
  '{"0":"feishu:u1"}',
  '[]',
]

const deepJson = fc
  .tuple(fc.constantFrom('[', '{"a":', '{"users":[', '[{"source":'), fc.integer({ min: 1, max: 50_000 }))
  .map(([open, depth]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : open === '{"users":[' ? ']}' : '}]'
    return `${open.repeat(depth)}1${close.repeat(depth)}`
  })

/** An element that spoils a POST users array. */
const badPostUser = fc.oneof(
  fc
    .oneof(
      wrappedEntry,
      user.map(({ source, userId }) => ` ${source}:${userId} `),
    )
    .map((entry) => JSON.stringify(entry)),
  fc.constantFrom('1', '-1', '1e400', 'null', 'true', 'false', '[]', '["feishu:u1"]', '{}', '""'),
  hostileString
    .filter((text) => !/^(feishu|dingtalk):[A-Za-z0-9_.@-]{1,64}$/.test(text))
    .map((text) => JSON.stringify(text)),
  fc
    .tuple(fc.constantFrom(...SOURCES), fc.integer({ min: 65, max: 10_000 }))
    .map(([source, length]) => JSON.stringify(`${source}:${'u'.repeat(length)}`)),
  fc.constantFrom(
    '{"source":"feishu"}',
    '{"userId":"u1"}',
    '{"source":"feishu","userId":12}',
    '{"source":"feishu","userId":null}',
    '{"source":1,"userId":"u1"}',
    '{"source":["feishu"],"userId":"u1"}',
    '{"source":"feishu","userId":"u1","extra":1}',
    '{"source":"feishu","userId":"u1","__proto__":{"polluted":1}}',
    '{"source":"feishu","userId":"u1","constructor":{"prototype":{"polluted":1}}}',
    '{"source":"__proto__","userId":"u1"}',
    '{"source":"constructor","userId":"u1"}',
    '{"source":"feishu","userId":"u1:x"}',
    '{"source":"feishu","userId":""}',
    '{"source":"feishu ","userId":"u1"}',
    '{"source":"feishu","userId":"u1 "}',
  ),
  fc
    .tuple(hostileString, hostileString)
    .filter(([source, id]) => !SOURCES.includes(source) || !USER_ID.test(id))
    .map(([source, id]) => JSON.stringify({ source, userId: id })),
  deepJson,
)

const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
]

const WRONG_CONTENT_TYPES: [string | null, (json: string) => string][] = [
  ['text/plain', (json) => json],
  ['text/plain; charset=utf-8', (json) => json],
  ['application/x-www-form-urlencoded', () => 'from=2024-05-06&to=2024-05-07&users=feishu:u1'],
  [
    'multipart/form-data; boundary=XyZ',
    () => '--XyZ\r\nContent-Disposition: form-data; name="users"\r\n\r\nfeishu:u1\r\n--XyZ--\r\n',
  ],
  ['application/xml', () => '<query><from>2024-05-06</from></query>'],
  ['application/octet-stream', (json) => json],
  ['text/json', (json) => json],
  ['application/jsonx', (json) => json],
  [null, (json) => json],
]

/** A valid POST broken in one known way. */
const invalidPost: fc.Arbitrary<Case> = fc
  .record({
    query: validQuery,
    asObjects: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    position: fc.nat(),
    pick: fc.nat(),
  })
  .chain(({ query, asObjects, position, pick }) => {
    const entries = postEntries(query, asObjects)
    const json = renderBody(entries)
    const at = <T>(list: readonly T[]) => list[pick % list.length] as T
    /** The entry for `key` (added when absent) set to `value`. */
    const replace = (key: string, value: string): Entry[] => [
      ...entries.filter(([k]) => k !== key),
      [key, value],
    ]
    const invalid = (
      why: string,
      body: HostileRequest['body'],
      expect: Expectation = { status: 400 },
    ): Case => ({
      kind: 'invalid',
      why,
      request: postRequest(body),
      expect,
    })
    const validation = { status: 400, code: 'FST_ERR_VALIDATION' }
    return fc.oneof(
      fc.constantFrom(...WRONG_FOR_STRING).map((value) => {
        const key = at(['from', 'to'])
        return invalid(`${key}: ${value}`, renderBody(replace(key, value)), validation)
      }),
      badDate.map((date) => {
        const key = at(['from', 'to'])
        return invalid(`${key}: bad date`, renderBody(replace(key, JSON.stringify(date))))
      }),
      fc.constantFrom(...WRONG_FOR_BOOLEAN).map((value) => {
        const flag = at(FLAGS)
        return invalid(`${flag}: ${value}`, renderBody(replace(flag, value)), validation)
      }),
      fc
        .constantFrom(...WRONG_FOR_USERS)
        .map((value) => invalid(`users: ${value}`, renderBody(replace('users', value)), validation)),
      badPostUser.map((element) => {
        const users = JSON.parse(entries.find(([k]) => k === 'users')?.[1] ?? '[]') as unknown[]
        const texts = insertAt(
          users.map((u) => JSON.stringify(u)),
          element,
          position,
        )
        return invalid('a bad user element', renderBody(replace('users', `[${texts.join(',')}]`)))
      }),
      fc.constant(null).map(() =>
        invalid('too many users', renderBody(replace('users', JSON.stringify(tooManyUsers('u')))), {
          status: 400,
          code: 'ATT_TOO_MANY_USERS',
        }),
      ),
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(
              ['__proto__', '{"polluted":1}'],
              ['__proto__', 'null'],
              ['constructor', '{"prototype":{"polluted":1}}'],
              ['constructor', '1'],
              ['prototype', '{"polluted":1}'],
              ['toString', '"x"'],
              ['page', '2'],
              ['From', '"2024-05-06"'],
              ['users ', '[]'],
            ),
            fc.tuple(
              hostileString.filter((key) => !FIELDS.includes(key)),
              fc.constantFrom('1', '"x"', 'null', '{"polluted":1}'),
            ),
          ),
          fc.nat(),
        )
        .map(([[key, value], where]) =>
          invalid(`extra key ${key.slice(0, 20)}`, renderBody(insertAt(entries, [key, value], where))),
        ),
      fc
        .constantFrom('from', 'to', 'users')
        .map((key) => invalid(`without ${key}`, renderBody(entries.filter(([k]) => k !== key)), validation)),
      deepJson.map((deep) => {
        const key = at(['from', 'to', 'users', 'strict', 'nested'])
        return invalid(`deep ${key}`, renderBody(replace(key, deep)))
      }),
      fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([bytes, offset]) => {
        const raw = Buffer.from(json)
        const at = offset % (raw.length + 1)
        const spoiled = Buffer.concat([raw.subarray(0, at), Buffer.from(bytes), raw.subarray(at)])
        return invalid('invalid UTF-8', { base64: spoiled.toString('base64') })
      }),
      fc.constantFrom(...WRONG_CONTENT_TYPES).map(([contentType, bodyFor]) => ({
        kind: 'invalid' as const,
        why: `content-type ${contentType}`,
        request: postRequest(bodyFor(json), contentType),
        expect: { status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
      })),
      fc.constant(
        invalid(
          '1 MiB + 1',
          { parts: [json, { repeat: ' ', times: 1_048_577 - json.length }] },
          { status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
        ),
      ),
      fc
        .constantFrom('[]', '"x"', '1', 'null', 'true', `[${json}]`, '""')
        .map((root) => invalid(`root ${root.slice(0, 10)}`, root, validation)),
      fc.nat().map((cut) => {
        const at = cut % json.length
        return invalid(`truncated at ${at}`, json.slice(0, at))
      }),
    )
  })

const anyPost: fc.Arbitrary<Case> = fc.oneof(
  fc.jsonValue().map((value) => ({
    kind: 'any' as const,
    why: 'random JSON',
    request: postRequest(JSON.stringify(value) ?? 'null'),
  })),
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...FIELDS, '__proto__', 'constructor'), hostileString),
      fc.jsonValue({ maxDepth: 3 }),
      {
        maxKeys: 6,
      },
    )
    .map((value) => ({
      kind: 'any' as const,
      why: 'random object',
      request: postRequest(JSON.stringify(value)),
    })),
  fc
    .tuple(
      validQuery,
      fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', 'null', '1', '"__proto__":{}'),
            hostileChar,
          ),
          fc.nat(),
        ),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    )
    .map(([query, splices]) => {
      let text = renderBody(postEntries(query))
      for (const [insert, position] of splices) text = spliceText(text, insert, position)
      return { kind: 'any' as const, why: 'spliced POST', request: postRequest(text) }
    }),
  // Keys repeated: the last one wins, whichever it is.
  fc.tuple(validQuery, badDate, fc.boolean()).map(([query, date, badLast]) => {
    const [from, ...rest] = postEntries(query)
    const bad: Entry = ['from', JSON.stringify(date)]
    const entries = from ? (badLast ? [from, bad, ...rest] : [bad, from, ...rest]) : rest
    return { kind: 'any' as const, why: 'repeated key', request: postRequest(renderBody(entries)) }
  }),
)

// ---------------------------------------------------------------------------------------------------------
// Checks

function matchesQuery(answer: Answer, query: ValidQuery): string[] {
  const body = JSON.parse(answer.raw.toString('utf8')) as {
    from: string
    to: string
    complete: boolean
    results: { source: string; userId: string; workDate: string; raw?: unknown }[]
    sources: { source: string }[]
  }
  const problems: string[] = []
  if (body.from !== query.from || body.to !== query.to) problems.push(`range ${body.from}..${body.to}`)
  if (!body.complete) problems.push('not complete')
  const asked = [...new Set(query.users.map((u) => u.source))].sort()
  const reported = body.sources.map((s) => s.source)
  if (reported.join() !== asked.join()) problems.push(`sources ${reported.join()} for ${asked.join()}`)
  const ids = new Set(query.users.map((u) => `${u.source}:${u.userId}`))
  for (const day of body.results) {
    if (!ids.has(`${day.source}:${day.userId}`)) problems.push(`a result for ${day.source}:${day.userId}`)
    if (day.workDate < query.from || day.workDate > query.to) problems.push(`a result on ${day.workDate}`)
    if ((day.raw !== undefined) !== (query.flags.includeRaw === true))
      problems.push('raw does not follow includeRaw')
  }
  return problems
}

function expectationFor(c: Case): Expectation | undefined {
  if (c.kind === 'valid') return { status: 200 }
  if (c.kind === 'invalid') return c.expect ?? { status: '4xx' }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------

t.test('hostile requests never get a 5xx, a hang, a vendor call or a polluted prototype', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const vendorCalls = vendorCallCounter(logs)
  const baseline = prototypeSnapshot()
  t.comment(`fast-check seed ${SEED}, ${RUNS} runs per method (FUZZ_SEED / FUZZ_RUNS to change)`)

  const property = (cases: fc.Arbitrary<Case>, tally: Map<string, number>) =>
    fc.asyncProperty(cases, async (c) => {
      const answer = await send(app, c.request)
      await new Promise(setImmediate)
      const problems = problemsWith(answer, vendorCalls(), expectationFor(c))
      if (c.kind === 'valid' && c.query && answer.statusCode === 200)
        problems.push(...matchesQuery(answer, c.query))
      if (prototypeSnapshot() !== baseline) problems.push('a prototype changed')
      const key = `${c.kind} → ${answer.statusCode}`
      tally.set(key, (tally.get(key) ?? 0) + 1)
      if (problems.length > 0) {
        throw new Error(
          `${c.why}: ${problems.join('; ')}\nbody: ${answer.raw.toString('utf8').slice(0, 300)}`,
        )
      }
    })

  for (const [method, cases] of [
    [
      'GET',
      fc.oneof(
        { weight: 2, arbitrary: validGet },
        { weight: 6, arbitrary: invalidGet },
        { weight: 2, arbitrary: anyGet },
      ),
    ],
    [
      'POST',
      fc.oneof(
        { weight: 2, arbitrary: validPost },
        { weight: 6, arbitrary: invalidPost },
        { weight: 2, arbitrary: anyPost },
      ),
    ],
  ] as const) {
    const tally = new Map<string, number>()
    const started = performance.now()
    await fc.assert(property(cases, tally), { numRuns: RUNS, seed: SEED })
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    t.comment(
      `${method}: ${[...tally]
        .sort()
        .map(([key, n]) => `${key}: ${n}`)
        .join(', ')} (${seconds} s)`,
    )
    t.ok((tally.get('valid → 200') ?? 0) >= RUNS / 10, `${method}: enough valid queries ran`)
    t.ok(
      [...tally].filter(([key]) => key.startsWith('invalid → 4')).reduce((sum, [, n]) => sum + n, 0) >=
        RUNS / 3,
      `${method}: enough invalid queries ran`,
    )
  }
  t.equal(prototypeSnapshot(), baseline, 'no prototype changed')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing polluted')
})
