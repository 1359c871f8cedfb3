// The two DingTalk endpoints driven over HTTP as a vendor client would: gettoken, then attendance/list.
import t from 'tap'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import { createManualClock, type DingTalkRow, dingTalkRowsFor } from '../../src/simulators/index.js'
import {
  dingTalkList,
  dingTalkToken,
  dingTalkTokenCall,
  dingTalkWeek,
  sleep,
  startDingTalk,
  users,
} from './helpers.js'

const BAD_CREDENTIALS = { errcode: 40089, errmsg: '不合法的corpId或corpSecret' }
const MISSING = { errcode: 41001, errmsg: '缺少access_token参数' }
const INVALID = { errcode: 40014, errmsg: '不合法的access_token' }
const EXPIRED = { errcode: 42001, errmsg: 'access_token超时' }

// These tests are about the answers, not about the rate limit (the rate-limit test files).
const UNLIMITED = { rateLimitPerSecond: 100_000 }
const invalidParam = (detail: string) => ({ errcode: 40035, errmsg: `不合法的参数: ${detail}` })

function expected(userIds: string[], from: string, to: string): DingTalkRow[] {
  const rows: DingTalkRow[] = []
  for (const userId of [...new Set(userIds)].sort())
    for (let day = parseWorkDate(from) ?? 0; day <= (parseWorkDate(to) ?? -1); day++)
      rows.push(...dingTalkRowsFor(userId, formatWorkDate(day), {}))
  return rows
}

/** Pages through a query with the given limit; returns every page's answer. */
async function allPages(
  dingtalk: Parameters<typeof dingTalkList>[0],
  token: string,
  body: ReturnType<typeof dingTalkWeek>,
) {
  const pages = []
  for (let offset = 0; ; offset += body.limit) {
    const answer = await dingTalkList(dingtalk, { token, body: { ...body, offset } })
    pages.push(answer.body)
    if (answer.body.errcode !== 0 || !answer.body.hasMore) return pages
  }
}

t.test('the default credentials get an access_token for 7200 s', async (t) => {
  const dingtalk = await startDingTalk(t)
  t.same(dingtalk.credentials, { appKey: 'simulator-key', appSecret: 'simulator-secret' })
  const answer = await dingTalkTokenCall(dingtalk)
  t.equal(answer.status, 200)
  t.match(answer.body, { errcode: 0, errmsg: 'ok', access_token: /^[0-9a-f]{32}$/, expires_in: 7200 })
  t.same(Object.keys(answer.body).sort(), ['access_token', 'errcode', 'errmsg', 'expires_in'])
})

t.test('wrong or missing credentials answer HTTP 200 with errcode 40089', async (t) => {
  const dingtalk = await startDingTalk(t, { appKey: 'key-1', appSecret: 'secret-1' })
  for (const [key, secret] of [
    ['key-1', 'nope'],
    ['nope', 'secret-1'],
    ['', ''],
  ] as const) {
    const answer = await dingTalkTokenCall(dingtalk, key, secret)
    t.same([answer.status, answer.body], [200, BAD_CREDENTIALS], `${key}/${secret}`)
  }
  const bare = await fetch(`${dingtalk.url}/gettoken`)
  t.same([bare.status, await bare.json()], [200, BAD_CREDENTIALS], 'no parameters at all')
  t.equal((await dingTalkTokenCall(dingtalk, 'key-1', 'secret-1')).body.errcode, 0)
  t.equal(dingtalk.counters().refusedBadCredentials, 4)
  t.equal(dingtalk.counters().tokenCalls, 5)
})

t.test('asking again returns the same token and extends its life', async (t) => {
  const clock = createManualClock()
  const dingtalk = await startDingTalk(t, { tokenClock: clock.now })
  const token = await dingTalkToken(dingtalk)
  clock.advance(7000_000)
  const again = await dingTalkTokenCall(dingtalk)
  t.same([again.body.access_token, again.body.expires_in], [token, 7200])
  clock.set(14_000_000) // 14000 s after the first fetch: alive only because the second fetch extended it
  t.equal((await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body.errcode, 0)
  clock.advance(300_000)
  t.same((await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body, EXPIRED)
  const fresh = await dingTalkToken(dingtalk)
  t.not(fresh, token, 'a new token once the old one expired')
})

t.test('tokens expire after tokenTtlSeconds in real time: 42001', async (t) => {
  const dingtalk = await startDingTalk(t, { tokenTtlSeconds: 1 })
  const answer = await dingTalkTokenCall(dingtalk)
  t.equal(answer.body.expires_in, 1)
  const token = answer.body.access_token
  t.equal((await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body.errcode, 0)
  await sleep(1100)
  const expired = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same([expired.status, expired.body], [200, EXPIRED])
  t.not(await dingTalkToken(dingtalk), token)
})

t.test('missing, unknown and revoked tokens', async (t) => {
  const dingtalk = await startDingTalk(t)
  const token = await dingTalkToken(dingtalk)
  const missing = await dingTalkList(dingtalk, { body: dingTalkWeek(['d01']) })
  t.same([missing.status, missing.body], [200, MISSING])
  const empty = await fetch(`${dingtalk.url}/attendance/list?access_token=`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(dingTalkWeek(['d01'])),
  })
  t.same(await empty.json(), MISSING, 'an empty access_token')
  const unknown = await dingTalkList(dingtalk, { token: 'f'.repeat(32), body: dingTalkWeek(['d01']) })
  t.same([unknown.status, unknown.body], [200, INVALID])
  t.equal(dingtalk.revokeAllTokens(), 1)
  const revoked = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.same(revoked.body, INVALID, 'revoked')
  t.equal(dingtalk.counters().refusedBadToken, 4)
  const fresh = await dingTalkToken(dingtalk)
  t.not(fresh, token)
  t.equal((await dingTalkList(dingtalk, { token: fresh, body: dingTalkWeek(['d01']) })).body.errcode, 0)
})

t.test('the token check comes before the parameter check', async (t) => {
  const dingtalk = await startDingTalk(t)
  t.same((await dingTalkList(dingtalk, { body: {} })).body, MISSING)
})

t.test('one page answers exactly what dingTalkRowsFor computes', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d02', 'd01'], 0, 50) })
  t.equal(answer.status, 200)
  const rows = expected(['d01', 'd02'], '2024-05-06', '2024-05-12')
  t.equal(rows.length, 20, 'two rows a weekday, none at the weekend')
  t.same(answer.body, { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: rows })
  t.equal(dingtalk.counters().rowsServed, 20)
})

t.test('paging returns every row exactly once, in a stable order, whatever the limit', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const cases: Array<[number, string[]]> = [
    [50, users('d', 50).reverse()],
    [7, users('d', 50).reverse()],
    [1, users('d', 5).reverse()],
  ]
  for (const [limit, userIds] of cases) {
    const rows = expected(userIds, '2024-05-06', '2024-05-12')
    t.equal(rows.length, userIds.length * 10)
    const pages = await allPages(dingtalk, token, dingTalkWeek(userIds, 0, limit))
    t.equal(pages.length, Math.ceil(rows.length / limit), `limit ${limit}: pages`)
    t.ok(
      pages.slice(0, -1).every((page) => page.hasMore === true && page.recordresult.length === limit),
      `limit ${limit}: full pages say hasMore`,
    )
    t.equal(pages.at(-1)?.hasMore, false)
    const served: DingTalkRow[] = pages.flatMap((page) => page.recordresult)
    t.same(served, rows, `limit ${limit}: every row once, in order`)
    t.equal(new Set(served.map((row) => row.id)).size, rows.length, `limit ${limit}: ids unique`)
  }
})

t.test('sorted by userId, work day and check time', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['b', 'c', 'a'], 0, 50) })
  const keys = answer.body.recordresult.map((row: DingTalkRow) => [
    row.userId,
    row.workDate,
    row.baseCheckTime,
  ])
  const sorted = [...keys].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2]))
  t.same(keys, sorted)
  t.same([...new Set(keys.map((key: unknown[]) => key[0]))], ['a', 'b', 'c'])
})

t.test('hasMore is false exactly when offset + limit reaches the total; past the end is empty', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const list = (offset: number, limit: number) =>
    dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01'], offset, limit) }).then(
      (answer) => answer.body,
    )
  t.match(await list(0, 9), { hasMore: true, recordresult: { length: 9 } })
  t.match(await list(0, 10), { hasMore: false, recordresult: { length: 10 } })
  t.match(await list(5, 5), { hasMore: false, recordresult: { length: 5 } })
  t.same(await list(10, 5), { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: [] })
  t.same(await list(400, 50), { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: [] })
})

t.test('unknown users give no rows, not an error', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, {
    token,
    body: dingTalkWeek(['unknown_1', 'd01', 'unknown_2']),
  })
  t.same(answer.body.recordresult, expected(['d01'], '2024-05-06', '2024-05-12'))
  const none = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['unknown_1']) })
  t.same(none.body, { errcode: 0, errmsg: 'ok', hasMore: false, recordresult: [] })
})

t.test('the unknown prefix is configurable', async (t) => {
  const dingtalk = await startDingTalk(t, { ...UNLIMITED, unknownUserPrefix: 'ghost-' })
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['ghost-1', 'unknown_1']) })
  t.same(answer.body.recordresult, expected(['unknown_1'], '2024-05-06', '2024-05-12'))
})

t.test('the whole day is returned whatever the time part', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const answer = await dingTalkList(dingtalk, {
    token,
    body: {
      ...dingTalkWeek(['d01']),
      workDateFrom: '2024-05-07 23:59:59',
      workDateTo: '2024-05-08 00:00:01',
    },
  })
  t.same(answer.body.recordresult, expected(['d01'], '2024-05-07', '2024-05-08'))
})

t.test('the same user and day come back the same whatever the window or page', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const wide = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01', 'd02', 'd03'], 20, 10) })
  const narrow = await dingTalkList(dingtalk, {
    token,
    body: {
      ...dingTalkWeek(['d03']),
      workDateFrom: '2024-05-06 00:00:00',
      workDateTo: '2024-05-06 00:00:00',
    },
  })
  t.same(wide.body.recordresult.slice(0, 2), narrow.body.recordresult, "d03's Monday")
})

t.test('a 7-day window is the most allowed, both days included', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const seven = await dingTalkList(dingtalk, {
    token,
    body: {
      ...dingTalkWeek(['d01']),
      workDateFrom: '2024-04-29 00:00:00',
      workDateTo: '2024-05-05 00:00:00',
    },
  })
  t.equal(seven.body.errcode, 0)
  const eight = await dingTalkList(dingtalk, {
    token,
    body: {
      ...dingTalkWeek(['d01']),
      workDateFrom: '2024-04-29 00:00:00',
      workDateTo: '2024-05-06 00:00:00',
    },
  })
  t.same(
    [eight.status, eight.body],
    [200, invalidParam('workDateFrom and workDateTo must span at most 7 days, both included')],
  )
})

t.test('each parameter rule refuses with HTTP 200 and errcode 40035', async (t) => {
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const week = dingTalkWeek(['d01'])
  const DATE_FROM = 'workDateFrom must be a date and time as yyyy-MM-dd HH:mm:ss'
  const DATE_TO = 'workDateTo must be a date and time as yyyy-MM-dd HH:mm:ss'
  const USERS = 'userIdList must list 1 to 50 userIds'
  const OFFSET = 'offset is required and must be an integer ≥ 0'
  const LIMIT = 'limit is required and must be an integer from 1 to 50'
  const cases: Array<[string, Parameters<typeof dingTalkList>[1], string]> = [
    ['not JSON', { rawBody: 'workDateFrom=x' }, 'the body must be a JSON object'],
    [
      'form content type',
      { contentType: 'application/x-www-form-urlencoded', body: week },
      'the body must be JSON (Content-Type: application/json)',
    ],
    [
      'no content type',
      { contentType: null, body: week },
      'the body must be JSON (Content-Type: application/json)',
    ],
    ['workDateFrom missing', { body: { ...week, workDateFrom: undefined } }, DATE_FROM],
    ['workDateFrom without time', { body: { ...week, workDateFrom: '2024-05-06' } }, DATE_FROM],
    ['workDateFrom ISO', { body: { ...week, workDateFrom: '2024-05-06T00:00:00' } }, DATE_FROM],
    ['workDateFrom hour 24', { body: { ...week, workDateFrom: '2024-05-06 24:00:00' } }, DATE_FROM],
    ['workDateFrom not a date', { body: { ...week, workDateFrom: '2024-02-30 00:00:00' } }, DATE_FROM],
    ['workDateTo a number', { body: { ...week, workDateTo: 1715011200000 } }, DATE_TO],
    [
      'reversed dates',
      { body: { ...week, workDateFrom: '2024-05-08 00:00:00', workDateTo: '2024-05-07 00:00:00' } },
      'workDateFrom must not be after workDateTo',
    ],
    ['userIdList missing', { body: { ...week, userIdList: undefined } }, USERS],
    ['userIdList empty', { body: { ...week, userIdList: [] } }, USERS],
    ['userIdList of numbers', { body: { ...week, userIdList: [1] } }, USERS],
    ['userIdList a string', { body: { ...week, userIdList: 'd01' } }, USERS],
    ['51 users', { body: { ...week, userIdList: users('d', 51) } }, USERS],
    ['offset missing', { body: { ...week, offset: undefined } }, OFFSET],
    ['offset negative', { body: { ...week, offset: -1 } }, OFFSET],
    ['offset a word', { body: { ...week, offset: 'zero' } }, OFFSET],
    ['offset a negative string', { body: { ...week, offset: '-1' } }, OFFSET],
    ['offset an empty string', { body: { ...week, offset: '' } }, OFFSET],
    ['offset a string with a space', { body: { ...week, offset: ' 0' } }, OFFSET],
    ['offset in hex', { body: { ...week, offset: '0x10' } }, OFFSET],
    ['limit an exponent', { body: { ...week, limit: '1e1' } }, LIMIT],
    ['limit a fraction string', { body: { ...week, limit: '2.5' } }, LIMIT],
    ['limit "51"', { body: { ...week, limit: '51' } }, LIMIT],
    ['limit "0"', { body: { ...week, limit: '0' } }, LIMIT],
    ['offset a boolean', { body: { ...week, offset: false } }, OFFSET],
    ['limit missing', { body: { ...week, limit: undefined } }, LIMIT],
    ['limit 0', { body: { ...week, limit: 0 } }, LIMIT],
    ['limit 51', { body: { ...week, limit: 51 } }, LIMIT],
    ['limit 2.5', { body: { ...week, limit: 2.5 } }, LIMIT],
  ]
  for (const [name, call, detail] of cases) {
    const answer = await dingTalkList(dingtalk, { token, ...call })
    t.same([answer.status, answer.body], [200, invalidParam(detail)], name)
  }
  t.equal(dingtalk.counters().refusedBadParams, cases.length)
  const fifty = await dingTalkList(dingtalk, {
    token,
    body: { ...week, userIdList: users('d', 50), limit: 50 },
  })
  t.equal(fifty.body.errcode, 0, '50 users and limit 50 are fine')
})

t.test("offset and limit as the vendor's Java SDK sends them, strings of digits, page alike", async (t) => {
  // OapiAttendanceListRequest.setOffset(0L) / setLimit(1L) go out as "0" / "1" (issue 20).
  const dingtalk = await startDingTalk(t, UNLIMITED)
  const token = await dingTalkToken(dingtalk)
  const userIds = users('d', 6)
  for (const [offset, limit] of [
    [0, 7],
    [7, 7],
    [49, 50],
  ] as const) {
    const numbers = await dingTalkList(dingtalk, { token, body: dingTalkWeek(userIds, offset, limit) })
    const strings = await dingTalkList(dingtalk, {
      token,
      body: { ...dingTalkWeek(userIds), offset: String(offset), limit: String(limit) },
    })
    t.equal(strings.body.errcode, 0, `"${offset}" and "${limit}"`)
    t.same(strings.body, numbers.body, 'the same page as with numbers')
  }
  const padded = await dingTalkList(dingtalk, {
    token,
    body: { ...dingTalkWeek(userIds), offset: '007', limit: '050' },
  })
  t.same(padded.body, (await dingTalkList(dingtalk, { token, body: dingTalkWeek(userIds, 7, 50) })).body)
})
