// Every error answer is {statusCode, code, error, message} and nothing else: no stack trace, no file path,
// no vendor secret or token, whatever went wrong (bad input, refused access, failing vendor, a bug).
import type { InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const KEY = 'error-bodies-key-77aa'
const FEISHU_SECRET = 'feishu-secret-value-Q1'
const WRONG_SECRET = 'configured-wrong-secret-Q2'
const QUERY = '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1,dingtalk:d1'
const STACK = /\bat .*\(?[^\s()]+\.(ts|js|mjs|cjs):\d+|node_modules|\/work\/|file:\/\//

function assertErrorBody(
  t: Test,
  response: { statusCode: number; body: string },
  name: string,
  secrets: string[],
) {
  const body = JSON.parse(response.body) as Record<string, unknown>
  t.same(
    Object.keys(body).sort(),
    ['code', 'error', 'message', 'statusCode'],
    `${name}: only the four fields`,
  )
  t.equal(body.statusCode, response.statusCode, `${name}: statusCode repeated`)
  t.notMatch(response.body, STACK, `${name}: no stack or path`)
  for (const secret of secrets) t.notOk(response.body.includes(secret), `${name}: no secret`)
}

t.test('client errors, refusals and vendor failures', async (t) => {
  const simulators = await startSimulators(t, { feishu: { appSecret: FEISHU_SECRET } })
  const sources = sourcesFor(simulators, { feishu: { appSecret: WRONG_SECRET } })
  const { app } = await startReplica(t, sources, {
    config: {
      apiKeys: [apiKey('ops', KEY), apiKey('payroll', `${KEY}-p`, { sources: ['dingtalk'] })],
      rateLimitPerMinute: 0,
    },
  })
  const secrets = [FEISHU_SECRET, WRONG_SECRET, KEY, simulators.dingtalk.credentials.appSecret]
  const auth = bearer(KEY)
  const cases: [string, InjectOptions, number][] = [
    ['validation', { url: '/attendance/results?from=x', headers: auth }, 400],
    ['impossible date', { url: `${QUERY.replace('2024-05-06', '2024-02-30')}`, headers: auth }, 400],
    ['unknown source', { url: QUERY.replace('feishu:u1', 'wecom:u1'), headers: auth }, 400],
    [
      'not JSON',
      {
        method: 'POST',
        url: '/attendance/results',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"from": ',
      },
      400,
    ],
    [
      'wrong content type',
      {
        method: 'POST',
        url: '/attendance/results',
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: 'x',
      },
      415,
    ],
    [
      'body too large',
      {
        method: 'POST',
        url: '/attendance/results',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: `{"users": "${'x'.repeat(1_100_000)}"}`,
      },
      413,
    ],
    ['no key', { url: QUERY }, 401],
    ['wrong key', { url: QUERY, headers: bearer(WRONG_SECRET) }, 401],
    ['forbidden source', { url: QUERY, headers: bearer(`${KEY}-p`) }, 403],
    ['no route', { url: '/attendance/nope', headers: auth }, 404],
    ['vendor refuses the credentials, strict', { url: `${QUERY}&strict=true`, headers: auth }, 502],
  ]
  for (const [name, request, status] of cases) {
    const response = await app.inject(request)
    t.equal(response.statusCode, status, name)
    assertErrorBody(t, response, name, secrets)
  }

  // Not strict: a 200 whose Feishu report explains the failure, still without the secret.
  const partial = await app.inject({ url: QUERY, headers: auth })
  t.equal(partial.statusCode, 200)
  const feishu = partial.json().sources.find((source: { source: string }) => source.source === 'feishu')
  t.match(feishu, { status: 'error', error: { code: 'VENDOR_AUTH_FAILED' } })
  for (const secret of secrets) t.notOk(partial.body.includes(secret), 'no secret in the report')
  t.notMatch(partial.body, STACK)
})

t.test('a bug answers a generic 500; the details go to the log only', async (t) => {
  const simulators = await startSimulators(t)
  const { app, logs } = await startReplica(t, sourcesFor(simulators), { config: { rateLimitPerMinute: 0 } })
  const secret = simulators.feishu.credentials.appSecret
  const bug = async () => {
    const error = new Error(
      `cannot reach https://open.feishu.cn?app_secret=${secret} (/work/main/src/x.ts:12)`,
    )
    Object.assign(error, { code: 'ECONNRESET', statusCode: 500 })
    throw error
  }
  // Whichever way the route asks for the answer.
  Object.assign(app.queryService, { run: bug, execute: bug })
  const response = await app.inject(QUERY)
  t.equal(response.statusCode, 500)
  t.same(response.json(), {
    statusCode: 500,
    code: 'ATT_INTERNAL',
    error: 'Internal Server Error',
    message: 'the service failed to answer; the request id is in the x-request-id header',
  })
  assertErrorBody(t, response, 'bug', [secret])
  const logged = logs.records().find((line) => line.msg === 'request failed')
  t.ok(logged, 'the error is logged')
  t.notOk(JSON.stringify(logged).includes(secret), 'and redacted there')
})
