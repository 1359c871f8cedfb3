import t from 'tap'
import { parseQuery } from '../../src/domain/attendance/parse-query.js'

const limits = { maxRangeDays: 93, maxUsers: 5, sourceIds: ['feishu', 'dingtalk'] }
const range = { from: '2024-05-06', to: '2024-05-10' }

t.test('a GET user list is split on commas and on the first colon; repeats are served once', async (t) => {
  const query = parseQuery({ ...range, users: 'feishu:u1, dingtalk:d1,feishu:u1,,feishu:x@corp.com' }, limits)
  t.same(Object.fromEntries(query.usersBySource), { feishu: ['u1', 'x@corp.com'], dingtalk: ['d1'] })
  t.equal(query.fromDay + 4, query.toDay)
  t.same([query.overtime, query.includeRaw, query.strict], [false, false, false])
})

t.test('a POST list takes strings and {source, userId} objects alike', async (t) => {
  const query = parseQuery(
    {
      ...range,
      users: ['feishu:u1', { source: 'feishu', userId: 'u1' }, { source: 'dingtalk', userId: 'd.2' }],
    },
    limits,
  )
  t.same(Object.fromEntries(query.usersBySource), { feishu: ['u1'], dingtalk: ['d.2'] })
})

t.test('repeated entries do not count against MAX_USERS', async (t) => {
  const users = Array.from({ length: 50 }, (_, i) => `feishu:u${i % 5}`).join(',')
  t.equal(parseQuery({ ...range, users }, limits).usersBySource.get('feishu')?.length, 5)
})

const refused: [string, Parameters<typeof parseQuery>[0], string, RegExp][] = [
  [
    'impossible date',
    { from: '2023-02-29', to: '2023-03-01', users: 'feishu:u1' },
    'ATT_INVALID_DATE',
    /from "2023-02-29" is not a real calendar date/,
  ],
  [
    'month 13',
    { from: '2024-01-01', to: '2024-13-01', users: 'feishu:u1' },
    'ATT_INVALID_DATE',
    /to "2024-13-01"/,
  ],
  [
    'reversed range',
    { from: '2024-05-10', to: '2024-05-06', users: 'feishu:u1' },
    'ATT_RANGE_REVERSED',
    /from 2024-05-10 is after to 2024-05-06/,
  ],
  [
    'range too long',
    { from: '2024-01-01', to: '2024-04-03', users: 'feishu:u1' },
    'ATT_RANGE_TOO_LONG',
    /spans 94 days; at most 93/,
  ],
  [
    'unknown source',
    { ...range, users: 'wecom:u1' },
    'ATT_UNKNOWN_SOURCE',
    /source "wecom" is not configured \(configured: feishu, dingtalk\)/,
  ],
  [
    'no colon',
    { ...range, users: 'u1' },
    'ATT_MALFORMED_USER',
    /user "u1" is malformed: expected <sourceId>:<userId>/,
  ],
  ['empty user id', { ...range, users: 'feishu:' }, 'ATT_MALFORMED_USER', /malformed/],
  ['bad character', { ...range, users: 'feishu:u 1' }, 'ATT_MALFORMED_USER', /malformed/],
  ['control character', { ...range, users: 'feishu:u\u00001' }, 'ATT_MALFORMED_USER', /feishu:u\\u00001/],
  ['65 characters', { ...range, users: `feishu:${'a'.repeat(65)}` }, 'ATT_MALFORMED_USER', /malformed/],
  [
    'too many users',
    { ...range, users: 'feishu:a,feishu:b,feishu:c,dingtalk:d,dingtalk:e,dingtalk:f' },
    'ATT_TOO_MANY_USERS',
    /more than 5 distinct users/,
  ],
  ['only commas', { ...range, users: ',,,' }, 'ATT_NO_USERS', /at least one/],
  ['empty list', { ...range, users: [] }, 'ATT_NO_USERS', /at least one/],
]
for (const [name, input, code, message] of refused) {
  t.test(`refused with 400: ${name}`, async (t) => {
    t.throws(() => parseQuery(input, limits), { code, statusCode: 400, message })
  })
}

t.test('a 64-character user id is accepted', async (t) => {
  const id = 'a'.repeat(64)
  t.same(parseQuery({ ...range, users: `feishu:${id}` }, limits).usersBySource.get('feishu'), [id])
})
