// Every invalid input is a 400 (413 for a huge body, 415 for a wrong content type) in the service's error
// shape, and reaches no vendor.
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

const ok = { from: '2024-05-06', to: '2024-05-10', users: 'feishu:u1' }
const qs = (fields: Record<string, string>) => `/attendance/results?${new URLSearchParams(fields).toString()}`

const cases: [string, string, string | RegExp][] = [
  ['missing from', qs({ to: ok.to, users: ok.users }), 'FST_ERR_VALIDATION'],
  ['missing to', qs({ from: ok.from, users: ok.users }), 'FST_ERR_VALIDATION'],
  ['missing users', qs({ from: ok.from, to: ok.to }), 'FST_ERR_VALIDATION'],
  ['empty users', qs({ ...ok, users: '' }), 'FST_ERR_VALIDATION'],
  ['date in another format', qs({ ...ok, from: '06/05/2024' }), 'FST_ERR_VALIDATION'],
  ['impossible date', qs({ ...ok, from: '2024-02-30' }), /FST_ERR_VALIDATION|ATT_INVALID_DATE/],
  ['reversed range', qs({ ...ok, from: '2024-05-10', to: '2024-05-06' }), 'ATT_RANGE_REVERSED'],
  ['range over MAX_RANGE_DAYS', qs({ ...ok, from: '2024-01-01', to: '2024-12-31' }), 'ATT_RANGE_TOO_LONG'],
  ['unknown source', qs({ ...ok, users: 'wecom:u1' }), 'ATT_UNKNOWN_SOURCE'],
  ['user without source', qs({ ...ok, users: 'u1' }), 'ATT_MALFORMED_USER'],
  ['malformed user id', qs({ ...ok, users: 'feishu:u<script>' }), 'ATT_MALFORMED_USER'],
  ['boolean that is not one', qs({ ...ok, strict: 'maybe' }), 'FST_ERR_VALIDATION'],
  ['unknown parameter', qs({ ...ok, user: 'x' }), 'FST_ERR_VALIDATION'],
  ['users repeated as an array', `${qs(ok)}&users=dingtalk:d1`, 'FST_ERR_VALIDATION'],
]

t.test('GET', async (t) => {
  const { app } = await buildTestApp(t)
  for (const [name, url, code] of cases) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 400, name)
    const body = response.json()
    t.match(body, { statusCode: 400, code, error: 'Bad Request', message: String }, name)
  }
})

t.test('too many users', async (t) => {
  const { app } = await buildTestApp(t, { maxUsers: 3 })
  const response = await app.inject(qs({ ...ok, users: 'feishu:a,feishu:b,feishu:c,feishu:d' }))
  t.equal(response.statusCode, 400)
  t.match(response.json(), { code: 'ATT_TOO_MANY_USERS', message: /more than 3 distinct users/ })
})

t.test('POST', async (t) => {
  const { app } = await buildTestApp(t)
  const bodies: [string, unknown, string][] = [
    ['users not an array', { ...ok }, 'FST_ERR_VALIDATION'],
    ['empty users', { ...ok, users: [] }, 'FST_ERR_VALIDATION'],
    ['user of the wrong type', { ...ok, users: [['feishu:u1']] }, 'FST_ERR_VALIDATION'],
    ['object user missing userId', { ...ok, users: [{ source: 'feishu' }] }, 'FST_ERR_VALIDATION'],
    [
      'unknown source in an object',
      { ...ok, users: [{ source: 'nope', userId: 'u1' }] },
      'ATT_UNKNOWN_SOURCE',
    ],
    ['extra field', { ...ok, users: ['feishu:u1'], page: 2 }, 'FST_ERR_VALIDATION'],
    ['not an object', ['feishu:u1'], 'FST_ERR_VALIDATION'],
  ]
  for (const [name, payload, code] of bodies) {
    const response = await app.inject({
      method: 'POST',
      url: '/attendance/results',
      payload: payload as object,
    })
    t.equal(response.statusCode, 400, name)
    t.match(response.json(), { statusCode: 400, code, error: 'Bad Request' }, name)
  }
  const malformed = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    headers: { 'content-type': 'application/json' },
    payload: '{"from": ',
  })
  t.equal(malformed.statusCode, 400, 'malformed JSON')
  t.match(malformed.json(), { statusCode: 400, error: 'Bad Request' })
  const wrongType = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    headers: { 'content-type': 'text/plain' },
    payload: 'from=2024-05-06',
  })
  t.equal(wrongType.statusCode, 415)
  t.match(wrongType.json(), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
  const huge = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { ...ok, users: Array.from({ length: 60_000 }, (_, i) => `feishu:user-number-${i}`) },
  })
  t.equal(huge.statusCode, 413, 'oversized body')
  t.match(huge.json(), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large' })
})

t.test('no invalid request reaches a vendor', async (t) => {
  const { app, logs } = await buildTestApp(t)
  for (const [, url] of cases) await app.inject(url)
  t.equal(logs.records().filter((line) => line.msg === 'vendor call').length, 0)
})
