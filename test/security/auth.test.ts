// Bearer API keys: /attendance/* and /sources need one when keys are configured; health, readiness, docs
// and metrics stay open; a key limited to some sources gets 403 for the others and sees only its own.
import t from 'tap'
import { comparableAnswer } from '../helpers/answers.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

const OPS_KEY = 'ops-key-6b1f0c2e9d'
const HASHED_KEY = 'hashed-key-5a7e11c3'
const PAYROLL_KEY = 'payroll-key-93d2aa01'
const QUERY = '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1'
const BODY = { from: '2024-05-06', to: '2024-05-10', users: ['feishu:u1', 'dingtalk:d1'] }

const apiKeys = [
  apiKey('ops', OPS_KEY),
  // As API_KEYS=sha256:<hex> gives it: the same digest, the plain key never configured.
  apiKey('hashed', HASHED_KEY),
  apiKey('payroll', PAYROLL_KEY, { sources: ['feishu'] }),
]

t.test('without a key: 401 in the error shape with a Bearer challenge', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys })
  const cases: [string, Record<string, string>, string, string][] = [
    ['no header', {}, 'Bearer', 'an API key is required: send "Authorization: Bearer <API key>"'],
    [
      'another scheme',
      { authorization: `Basic ${OPS_KEY}` },
      'Bearer',
      'the Authorization header must be "Bearer <API key>"',
    ],
    [
      'an empty bearer',
      { authorization: 'Bearer ' },
      'Bearer',
      'the Authorization header must be "Bearer <API key>"',
    ],
    ['a wrong key', bearer('not-a-key'), 'Bearer error="invalid_token"', 'the API key is not valid'],
    [
      'a key with one character changed',
      bearer(`${OPS_KEY.slice(0, -1)}x`),
      'Bearer error="invalid_token"',
      'the API key is not valid',
    ],
    [
      'the digest instead of the key',
      bearer(apiKeys[1]?.sha256 ?? ''),
      'Bearer error="invalid_token"',
      'the API key is not valid',
    ],
  ]
  for (const [name, headers, challenge, message] of cases) {
    const response = await app.inject({ url: QUERY, headers })
    t.equal(response.statusCode, 401, name)
    t.equal(response.headers['www-authenticate'], challenge, `${name}: challenge`)
    t.same(
      response.json(),
      { statusCode: 401, code: 'ATT_UNAUTHORIZED', error: 'Unauthorized', message },
      name,
    )
  }
})

t.test('every protected route and method asks for the key', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys })
  const requests = [
    { method: 'GET' as const, url: QUERY },
    { method: 'POST' as const, url: '/attendance/results', payload: BODY },
    { method: 'GET' as const, url: '/sources' },
    { method: 'HEAD' as const, url: '/sources' },
    { method: 'HEAD' as const, url: QUERY },
  ]
  for (const request of requests) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 401, `${request.method} ${request.url.split('?')[0]}`)
    t.equal(response.headers['www-authenticate'], 'Bearer')
  }
  // Refused before the body is read: a body the parser would refuse still gets 401, not 400.
  const unparsed = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    headers: { 'content-type': 'application/json' },
    payload: '{ not json',
  })
  t.equal(unparsed.statusCode, 401)
})

t.test('a valid key, plain or configured as its sha256, reads everything it may', async (t) => {
  const { app, logs } = await buildTestApp(t, { apiKeys })
  for (const [name, key] of [
    ['ops', OPS_KEY],
    ['hashed', HASHED_KEY],
  ]) {
    const get = await app.inject({ url: QUERY, headers: bearer(key as string) })
    t.equal(get.statusCode, 200, `${name}: GET`)
    t.equal(get.json().complete, true)
    t.equal(get.json().results.length, 10)
    const post = await app.inject({
      method: 'POST',
      url: '/attendance/results',
      payload: BODY,
      headers: bearer(key as string),
    })
    t.equal(post.statusCode, 200, `${name}: POST`)
    t.same(comparableAnswer(post.json()), comparableAnswer(get.json()), 'POST answers what GET answers')
  }
  const lowerCase = await app.inject({ url: '/sources', headers: { authorization: `bearer ${OPS_KEY}` } })
  t.equal(lowerCase.statusCode, 200, 'the scheme name is case-insensitive')
  const lines = logs.records().filter((line) => line.msg === 'request' && line.statusCode === 200)
  t.ok(
    lines.some((line) => line.apiKey === 'ops') && lines.some((line) => line.apiKey === 'hashed'),
    'the request log line names the key',
  )
  t.notOk(
    logs.lines.some((line) => line.includes(OPS_KEY) || line.includes(HASHED_KEY)),
    'never the key itself',
  )
})

t.test('health, readiness, docs and metrics stay open', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys })
  for (const url of ['/healthz', '/readyz', '/docs', '/docs/', '/docs/json', '/docs/static/swagger-ui.css']) {
    const response = await app.inject(url)
    t.ok([200, 302].includes(response.statusCode), `${url}: ${response.statusCode}`)
    t.notOk(response.headers['www-authenticate'], `${url}: no challenge`)
  }
  const metrics = await app.inject('/metrics')
  t.not(metrics.statusCode, 401, '/metrics is not behind the key')
})

t.test('no keys configured (demo mode, AUTH_DISABLED): the API is open, with a warning', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const response = await app.inject(QUERY)
  t.equal(response.statusCode, 200)
  t.equal(response.json().complete, true)
  t.equal((await app.inject('/sources')).json().sources.length, 2)
  t.ok(
    logs.records().some((line) => line.level === 40 && /API is open/.test(String(line.msg))),
    'a warning says the API is open',
  )
})

t.test('a key limited to some sources: 403 for the others, /sources lists only its own', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys })
  const own = await app.inject({
    url: '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1',
    headers: bearer(PAYROLL_KEY),
  })
  t.equal(own.statusCode, 200)
  t.equal(own.json().results.length, 5)

  const forbidden = {
    statusCode: 403,
    code: 'ATT_FORBIDDEN_SOURCE',
    error: 'Forbidden',
    message: 'API key "payroll" may not read source(s) dingtalk',
  }
  const get = await app.inject({ url: QUERY, headers: bearer(PAYROLL_KEY) })
  t.equal(get.statusCode, 403)
  t.same(get.json(), forbidden)
  const post = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    headers: bearer(PAYROLL_KEY),
    payload: { ...BODY, users: ['feishu:u1', { source: 'dingtalk', userId: 'd1' }] },
  })
  t.equal(post.statusCode, 403)
  t.same(post.json(), forbidden)

  const sources = await app.inject({ url: '/sources', headers: bearer(PAYROLL_KEY) })
  t.same(
    sources.json().sources.map((source: { id: string }) => source.id),
    ['feishu'],
  )
  const all = await app.inject({ url: '/sources', headers: bearer(OPS_KEY) })
  t.same(
    all.json().sources.map((source: { id: string }) => source.id),
    ['feishu', 'dingtalk'],
  )
})
