// The two Feishu endpoints driven over HTTP as a vendor client would: token lifecycle, then user_tasks/query.
import t from 'tap'
import { parseWorkDate, toCompactDate } from '../../src/platform/time/work-date.js'
import { createManualClock, type FeishuUserTask, feishuTaskFor } from '../../src/simulators/index.js'
import { feishuQuery, feishuToken, feishuTokenCall, startFeishu, users } from './helpers.js'

const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }
const MISSING = {
  code: 99991661,
  msg: 'Missing access token for authorization. Please make a request with token attached.',
}
const INVALID = {
  code: 99991663,
  msg: 'Invalid access token for authorization. Please make a request with token attached.',
}
const EXPIRED = { code: 99991677, msg: 'Authentication token expired.' }
const NOT_A_TOKEN = {
  code: 99991671,
  msg: 'Invalid access token for authorization. The token must start with t- or u-.',
}

// These tests are about the answers, not about the rate limit (the rate-limit test files).
const UNLIMITED = { rateLimitPerSecond: 100_000 }
const invalidParam = (detail: string) => ({ code: 1220001, msg: `param is invalid: ${detail}` })
const INVALID_USERS = { code: 1220004, msg: 'user_id is not exist or does not have permission' }

/** yyyyMMdd of every day from `from` to `to` ('YYYY-MM-DD'), inclusive. */
function days(from: string, to: string): number[] {
  const list: number[] = []
  for (let day = parseWorkDate(from) ?? 0; day <= (parseWorkDate(to) ?? -1); day++)
    list.push(toCompactDate(day))
  return list
}

function expected(userIds: string[], from: string, to: string, overtime = false): FeishuUserTask[] {
  const tasks: FeishuUserTask[] = []
  for (const userId of [...userIds].sort())
    for (const day of days(from, to)) {
      const task = feishuTaskFor(userId, day, { overtime })
      if (task) tasks.push(task)
    }
  return tasks
}

const body = (user_ids: string[], check_date_from = 20240506, check_date_to = 20240510) => ({
  user_ids,
  check_date_from,
  check_date_to,
})

t.test('the default credentials get a tenant_access_token for 7200 s', async (t) => {
  const feishu = await startFeishu(t)
  t.same(feishu.credentials, { appId: 'cli_simulator', appSecret: 'simulator-secret' })
  const answer = await feishuTokenCall(feishu)
  t.equal(answer.status, 200)
  t.match(answer.body, { code: 0, msg: 'ok', tenant_access_token: /^t-[0-9a-f]{32}$/, expire: 7200 })
  t.same(Object.keys(answer.body).sort(), ['code', 'expire', 'msg', 'tenant_access_token'])
  t.match(answer.headers.get('content-type'), /^application\/json/)
})

t.test('wrong credentials answer HTTP 200 with a non-zero code', async (t) => {
  const feishu = await startFeishu(t, { appId: 'cli_custom', appSecret: 's3cret' })
  t.same(feishu.credentials, { appId: 'cli_custom', appSecret: 's3cret' })
  const wrongSecret = await feishuTokenCall(feishu, { app_id: 'cli_custom', app_secret: 'nope' })
  t.equal(wrongSecret.status, 200)
  t.same(wrongSecret.body, { code: 10014, msg: 'app secret invalid' })
  const wrongApp = await feishuTokenCall(feishu, { app_id: 'cli_other', app_secret: 's3cret' })
  t.same([wrongApp.status, wrongApp.body], [200, { code: 10014, msg: 'app id not exists' }])
  const missing = await feishuTokenCall(feishu, { app_id: 'cli_custom' })
  t.same([missing.status, missing.body], [200, { code: 10003, msg: 'invalid param' }])
  const good = await feishuTokenCall(feishu, { app_id: 'cli_custom', app_secret: 's3cret' })
  t.equal(good.body.code, 0)
  t.equal(feishu.counters().refusedBadCredentials, 3)
  t.equal(feishu.counters().tokenCalls, 4)
})

t.test(
  'asking again with at least the threshold left returns the same token, expire shrinking',
  async (t) => {
    const clock = createManualClock()
    const feishu = await startFeishu(t, { tokenClock: clock.now })
    const first = (await feishuTokenCall(feishu)).body
    clock.advance(5400_000 - 500) // 1800.5 s left
    const second = (await feishuTokenCall(feishu)).body
    t.equal(second.tenant_access_token, first.tenant_access_token)
    t.equal(second.expire, 1800)
    clock.advance(1000) // 1799.5 s left: under 30 minutes
    const third = (await feishuTokenCall(feishu)).body
    t.not(third.tenant_access_token, first.tenant_access_token, 'a new token')
    t.equal(third.expire, 7200)
    for (const token of [first.tenant_access_token, third.tenant_access_token]) {
      const answer = await feishuQuery(feishu, { token, body: week })
      t.equal(answer.body.code, 0, 'old and new tokens are both valid')
    }
    clock.advance(1800_000) // the first token has expired, the new one has not
    t.same((await feishuQuery(feishu, { token: first.tenant_access_token, body: week })).body, EXPIRED)
    t.equal((await feishuQuery(feishu, { token: third.tenant_access_token, body: week })).body.code, 0)
    const fourth = (await feishuTokenCall(feishu)).body
    t.equal(fourth.tenant_access_token, third.tenant_access_token, 'the new token is handed out again')
    t.equal(fourth.expire, 5400)
  },
)

t.test('a token used after tokenTtlSeconds answers 99991677 (expired), not 99991663', async (t) => {
  const clock = createManualClock()
  const feishu = await startFeishu(t, {
    tokenTtlSeconds: 60,
    feishuReuseThresholdSeconds: 0,
    tokenClock: clock.now,
  })
  const first = await feishuTokenCall(feishu)
  t.equal(first.body.expire, 60)
  const token = first.body.tenant_access_token
  t.equal((await feishuQuery(feishu, { token, body: week })).body.code, 0)
  t.equal(await feishuToken(feishu), token, 'threshold 0: the same token while it is valid')
  clock.advance(59_999)
  t.equal((await feishuQuery(feishu, { token, body: week })).body.code, 0, 'a millisecond before expiry')
  clock.advance(1)
  const expired = await feishuQuery(feishu, { token, body: week })
  t.same([expired.status, expired.body], [400, EXPIRED])
  const fresh = await feishuToken(feishu)
  t.not(fresh, token, 'after expiry a new token')
  t.same((await feishuQuery(feishu, { token, body: week })).body, EXPIRED, 'the old one stays expired')
  t.equal((await feishuQuery(feishu, { token: fresh, body: week })).body.code, 0)
  t.equal(feishu.revokeAllTokens(), 2)
  t.same(
    (await feishuQuery(feishu, { token, body: week })).body,
    INVALID,
    'revoked: unknown, whatever its age',
  )
})

t.test('with a lifetime under the threshold every fetch gives a new token, all valid', async (t) => {
  const feishu = await startFeishu(t, { tokenTtlSeconds: 2 })
  const a = await feishuToken(feishu)
  const b = await feishuToken(feishu)
  t.not(a, b)
  t.equal((await feishuQuery(feishu, { token: a, body: week })).body.code, 0)
  t.equal((await feishuQuery(feishu, { token: b, body: week })).body.code, 0)
})

t.test('missing, malformed, unknown and revoked tokens', async (t) => {
  const feishu = await startFeishu(t)
  const token = await feishuToken(feishu)
  const cases: Array<[string, Parameters<typeof feishuQuery>[1], unknown]> = [
    ['no Authorization header', { body: week }, MISSING],
    ['no "Bearer "', { authorization: token, body: week }, MISSING],
    ['"Bearer " and nothing', { authorization: 'Bearer ', body: week }, MISSING],
    ['lower-case bearer', { authorization: `bearer ${token}`, body: week }, MISSING],
    ['no t- or u- prefix', { authorization: `Bearer ${token.slice(2)}`, body: week }, NOT_A_TOKEN],
    ['an app token', { authorization: 'Bearer a-abc', body: week }, NOT_A_TOKEN],
    ['a T- prefix', { authorization: `Bearer T-${token.slice(2)}`, body: week }, NOT_A_TOKEN],
    ['a u- token never issued', { authorization: 'Bearer u-abc', body: week }, INVALID],
    ['unknown token', { token: 't-00000000000000000000000000000000', body: week }, INVALID],
  ]
  for (const [name, call, body] of cases) {
    const answer = await feishuQuery(feishu, call)
    t.same([answer.status, answer.body], [400, body], name)
  }
  t.equal(feishu.counters().refusedBadToken, cases.length)

  t.equal((await feishuQuery(feishu, { token, body: week })).body.code, 0)
  t.equal(feishu.revokeAllTokens(), 1)
  t.same((await feishuQuery(feishu, { token, body: week })).body, INVALID, 'revoked')
  const fresh = await feishuToken(feishu)
  t.not(fresh, token, 'a revoked token is never handed out again')
  t.equal((await feishuQuery(feishu, { token: fresh, body: week })).body.code, 0)
})

t.test('the token check comes before the parameter check', async (t) => {
  const feishu = await startFeishu(t)
  const answer = await feishuQuery(feishu, { query: 'employee_type=bogus', body: {} })
  t.same(answer.body, MISSING)
})

t.test('answers exactly what feishuTaskFor computes, sorted by user then day, weekends absent', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  // 2024-04-29 (Mon) to 2024-05-12 (Sun): two weeks across a month end.
  const userIds = ['u03', 'u01', 'u02']
  const answer = await feishuQuery(feishu, { token, body: body(userIds, 20240429, 20240512) })
  t.equal(answer.status, 200)
  const tasks = expected(userIds, '2024-04-29', '2024-05-12')
  t.equal(tasks.length, 30, 'ten weekdays for each of three users')
  t.same(answer.body, {
    code: 0,
    msg: 'success',
    data: { user_task_results: tasks, invalid_user_ids: [], unauthorized_user_ids: [] },
  })
  t.same(
    tasks.slice(0, 6).map((task) => `${task.user_id}/${task.day}`),
    ['u01/20240429', 'u01/20240430', 'u01/20240501', 'u01/20240502', 'u01/20240503', 'u01/20240506'],
  )
  t.equal(feishu.counters().rowsServed, 30)
  t.equal(feishu.counters().dataCalls, 1)
})

t.test('the same user and day come back the same whatever the window', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const wide = await feishuQuery(feishu, { token, body: body(['u07', 'u08'], 20240501, 20240530) })
  const narrow = await feishuQuery(feishu, { token, body: body(['u08'], 20240515, 20240515) })
  const fromWide = wide.body.data.user_task_results.find(
    (task: FeishuUserTask) => task.user_id === 'u08' && task.day === 20240515,
  )
  t.ok(fromWide)
  t.same(narrow.body.data.user_task_results, [fromWide])
})

t.test('a 30-day window is the most allowed, both ends included', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const thirty = await feishuQuery(feishu, { token, body: body(['u01'], 20240501, 20240530) })
  t.equal(thirty.status, 200)
  t.equal(thirty.body.code, 0)
  const thirtyOne = await feishuQuery(feishu, { token, body: body(['u01'], 20240501, 20240531) })
  t.same(
    [thirtyOne.status, thirtyOne.body],
    [400, invalidParam('check_date_from to check_date_to must span at most 30 days')],
  )
})

t.test('50 users are allowed, 51 are refused', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const fifty = await feishuQuery(feishu, { token, body: body(users('u', 50)) })
  t.equal(fifty.body.code, 0)
  t.equal(fifty.body.data.user_task_results.length, 250)
  const fiftyOne = await feishuQuery(feishu, { token, body: body(users('u', 51)) })
  t.same([fiftyOne.status, fiftyOne.body], [400, invalidParam('user_ids must have 1 to 50 items')])
})

t.test(
  'each parameter rule refuses with HTTP 400, code 1220001 and a message naming the field',
  async (t) => {
    const feishu = await startFeishu(t, UNLIMITED)
    const token = await feishuToken(feishu)
    const cases: Array<[string, Parameters<typeof feishuQuery>[1], string]> = [
      ['employee_type missing', { query: '', body: body(['u01']) }, 'employee_type invalid'],
      [
        'employee_type unknown',
        { query: 'employee_type=open_id', body: body(['u01']) },
        'employee_type invalid',
      ],
      [
        'ignore_invalid_users not a boolean',
        { query: 'employee_type=employee_id&ignore_invalid_users=yes', body: body(['u01']) },
        'ignore_invalid_users invalid',
      ],
      [
        'include_terminated_user not a boolean',
        { query: 'employee_type=employee_no&include_terminated_user=1', body: body(['u01']) },
        'include_terminated_user invalid',
      ],
      [
        'no JSON content type',
        { contentType: 'text/plain', body: body(['u01']) },
        'Content-Type must be application/json; charset=utf-8',
      ],
      [
        'no content type at all',
        { contentType: null, body: body(['u01']) },
        'Content-Type must be application/json; charset=utf-8',
      ],
      ['not JSON', { rawBody: '{"user_ids":' }, 'request body must be a JSON object'],
      ['a JSON array', { rawBody: '[]' }, 'request body must be a JSON object'],
      [
        'user_ids missing',
        { body: { check_date_from: 20240506, check_date_to: 20240506 } },
        'user_ids invalid',
      ],
      ['user_ids not strings', { body: body([1, 2] as unknown as string[]) }, 'user_ids invalid'],
      ['user_ids with an empty id', { body: body(['u01', '']) }, 'user_ids invalid'],
      ['user_ids empty', { body: body([]) }, 'user_ids must have 1 to 50 items'],
      [
        'check_date_from missing',
        { body: { user_ids: ['u01'], check_date_to: 20240506 } },
        'check_date_from invalid',
      ],
      [
        'check_date_from a string',
        { body: body(['u01'], '20240506' as unknown as number) },
        'check_date_from invalid',
      ],
      ['check_date_from not a date', { body: body(['u01'], 20240230) }, 'check_date_from invalid'],
      ['check_date_from not an int', { body: body(['u01'], 20240506.5) }, 'check_date_from invalid'],
      ['check_date_to short', { body: body(['u01'], 20240506, 2024051) }, 'check_date_to invalid'],
      [
        'reversed dates',
        { body: body(['u01'], 20240510, 20240506) },
        'check_date_from must not be after check_date_to',
      ],
      [
        'need_overtime_result not a boolean',
        { body: { ...body(['u01']), need_overtime_result: 'true' } },
        'need_overtime_result invalid',
      ],
    ]
    for (const [name, call, detail] of cases) {
      const answer = await feishuQuery(feishu, { token, ...call })
      t.same([answer.status, answer.body], [400, invalidParam(detail)], name)
    }
    t.equal(feishu.counters().refusedBadParams, cases.length)
    t.equal(feishu.counters().rowsServed, 0)
  },
)

t.test(
  'employee_no, include_terminated_user and a JSON content type without charset are accepted',
  async (t) => {
    const feishu = await startFeishu(t, UNLIMITED)
    const token = await feishuToken(feishu)
    const answer = await feishuQuery(feishu, {
      token,
      query: 'employee_type=employee_no&include_terminated_user=true&ignore_invalid_users=false',
      contentType: 'application/json',
      body: body(['u01']),
    })
    t.same(answer.body.data.user_task_results, expected(['u01'], '2024-05-06', '2024-05-10'))
  },
)

t.test('invalid and unauthorized users fail the call unless ignore_invalid_users is true', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const userIds = ['u02', 'invalid_x', 'u01', 'unauth_y', 'invalid_z']
  for (const query of ['employee_type=employee_id', 'employee_type=employee_id&ignore_invalid_users=false']) {
    const answer = await feishuQuery(feishu, { token, query, body: body(userIds) })
    t.same([answer.status, answer.body], [400, INVALID_USERS], query)
  }
  const onlyUnauthorized = await feishuQuery(feishu, { token, body: body(['u01', 'unauth_y']) })
  t.same([onlyUnauthorized.status, onlyUnauthorized.body], [400, INVALID_USERS])

  const ignored = await feishuQuery(feishu, {
    token,
    query: 'employee_type=employee_id&ignore_invalid_users=true',
    body: body(userIds),
  })
  t.equal(ignored.status, 200)
  t.same(ignored.body.data, {
    user_task_results: expected(['u01', 'u02'], '2024-05-06', '2024-05-10'),
    invalid_user_ids: ['invalid_x', 'invalid_z'],
    unauthorized_user_ids: ['unauth_y'],
  })
  t.equal(feishu.counters().refusedBadParams, 3)
})

t.test('the invalid and unauthorized prefixes are configurable', async (t) => {
  const feishu = await startFeishu(t, {
    ...UNLIMITED,
    invalidUserPrefix: 'gone-',
    unauthorizedUserPrefix: 'secret-',
  })
  const token = await feishuToken(feishu)
  const answer = await feishuQuery(feishu, {
    token,
    query: 'employee_type=employee_id&ignore_invalid_users=true',
    body: body(['gone-1', 'secret-1', 'invalid_1']),
  })
  t.same(answer.body.data.invalid_user_ids, ['gone-1'])
  t.same(answer.body.data.unauthorized_user_ids, ['secret-1'])
  t.same(
    answer.body.data.user_task_results.map((task: FeishuUserTask) => task.user_id),
    Array(5).fill('invalid_1'),
  )
})

t.test('a repeated user id is served once', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const answer = await feishuQuery(feishu, { token, body: body(['u01', 'u01']) })
  t.same(answer.body.data.user_task_results, expected(['u01'], '2024-05-06', '2024-05-10'))
})

t.test('need_overtime_result adds overtime segments on some days and changes nothing else', async (t) => {
  const feishu = await startFeishu(t, UNLIMITED)
  const token = await feishuToken(feishu)
  const userIds = users('u', 10)
  const plain = await feishuQuery(feishu, { token, body: body(userIds, 20240501, 20240530) })
  const overtime = await feishuQuery(feishu, {
    token,
    body: { ...body(userIds, 20240501, 20240530), need_overtime_result: true },
  })
  const withOvertime = overtime.body.data.user_task_results as FeishuUserTask[]
  const without = plain.body.data.user_task_results as FeishuUserTask[]
  t.same(withOvertime, expected(userIds, '2024-05-01', '2024-05-30', true))
  t.same(
    withOvertime.map((task) => task.records[0]),
    without.map((task) => task.records[0]),
    'the normal segment is the same with or without overtime',
  )
  t.same(new Set(without.map((task) => task.records.length)), new Set([1]), 'without it: one segment a day')
  t.same(
    new Set(withOvertime.map((task) => task.records.map((record) => record.task_shift_type).join())),
    new Set(['0', '0,1']),
    'with it: the normal segment, then sometimes one overtime segment',
  )
  const overtimeDays = withOvertime.filter((task) => task.records.length > 1).length
  t.ok(overtimeDays > 10 && overtimeDays < withOvertime.length / 2, `overtime on some days (${overtimeDays})`)
})
