// No app secret, vendor token or API key in any log line (at trace level) or in any answer, whatever goes
// wrong on the way to the vendors: network errors on URLs that carry the DingTalk appsecret or
// access_token, timeouts, 5xx, HTML pages, cut-off JSON, revoked tokens, refused credentials, and vendor
// messages that echo the request (its URL with the token, its Authorization header).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { InjectOptions } from 'fastify'
import type { Test } from 'tap'
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const FEISHU_SECRET = 'feishu-app-secret-S3cr3t-1'
const DINGTALK_SECRET = 'dingtalk-app-secret-S3cr3t-2'
const WRONG_DINGTALK_SECRET = 'dingtalk-wrong-secret-S3cr3t-3'
const API_KEY = 'api-key-S3cr3t-4'
const WRONG_API_KEY = 'api-key-wrong-S3cr3t-5'

type Mode = 'pass' | 'reset' | 'echo'

// A failure that outlasts the retries ends as the vendor's error, or as TIMEOUT when the query deadline
// (2.5 s here) cuts the last attempt or backoff short: both say the block is missing.
const UNAVAILABLE = /^(VENDOR_UNAVAILABLE|TIMEOUT)$/

/**
 * Between the service and a simulator: passes calls on and keeps every token the vendor hands out ('pass'),
 * drops the connection of every call (a network error on a URL with the appsecret or the access_token:
 * 'reset'), or answers every data call with a vendor error whose message echoes the request URL and its
 * Authorization header ('echo').
 */
async function vendorProxy(t: Test, target: string) {
  const proxy = { url: '', mode: 'pass' as Mode, tokens: new Set<string>() }
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (proxy.mode === 'reset') return request.socket.destroy()
    const isTokenCall = /gettoken|tenant_access_token/.test(request.url ?? '')
    if (proxy.mode === 'echo' && !isTokenCall) {
      const echoed = `request ${request.url} authorization ${request.headers.authorization ?? ''}`
      const dingTalk = request.url?.startsWith('/attendance/list')
      response.writeHead(dingTalk ? 200 : 400, { 'content-type': 'application/json' })
      return response.end(
        JSON.stringify(
          dingTalk ? { errcode: 40035, errmsg: `不合法的参数: ${echoed}` } : { code: 1220001, msg: echoed },
        ),
      )
    }
    const headers = { ...request.headers }
    delete headers.host
    // The service gave up on this call (a timeout): give up upstream too.
    const gone = new AbortController()
    response.on('close', () => gone.abort())
    const answer = await fetch(`${target}${request.url}`, {
      method: request.method ?? 'GET',
      headers: headers as Record<string, string>,
      signal: gone.signal,
      ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
    }).catch(() => undefined)
    if (!answer) return request.socket.destroy()
    const text = await answer.text().catch(() => undefined)
    if (text === undefined) return request.socket.destroy()
    for (const [, token] of text.matchAll(/"(?:tenant_access_token|access_token)":"([^"]+)"/g)) {
      proxy.tokens.add(token as string)
    }
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' })
    response.end(text)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  server.on('connection', (socket) => t.teardown(() => socket.destroy()))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}

t.test('no secret, token or API key in any log line or answer, on every failure path', async (t) => {
  const simulators = await startSimulators(t, {
    feishu: { appSecret: FEISHU_SECRET },
    dingtalk: { appSecret: DINGTALK_SECRET },
  })
  const feishuProxy = await vendorProxy(t, simulators.feishu.url)
  const dingTalkProxy = await vendorProxy(t, simulators.dingtalk.url)
  const through = (overrides: { feishu?: Partial<SourceConfig>; dingtalk?: Partial<SourceConfig> }) =>
    sourcesFor(simulators, {
      feishu: { baseUrl: feishuProxy.url, requestTimeoutMs: 400, ...overrides.feishu },
      dingtalk: { baseUrl: dingTalkProxy.url, requestTimeoutMs: 400, ...overrides.dingtalk },
    })
  const config = {
    logLevel: 'trace' as const,
    queryTimeoutMs: 2500,
    apiKeys: [apiKey('payroll', API_KEY)],
    rateLimitPerMinute: 0,
  }
  const main = await startReplica(t, through({}), { config })
  // Refused credentials: the configured (wrong) secret rides in the gettoken URL.
  const wrong = await startReplica(t, through({ dingtalk: { appSecret: WRONG_DINGTALK_SECRET } as never }), {
    config,
  })

  const answers: { name: string; statusCode: number; headers: string; body: string }[] = []
  const ask = async (name: string, request: InjectOptions, app = main.app) => {
    const response = await app.inject({ ...request, headers: { ...bearer(API_KEY), ...request.headers } })
    answers.push({
      name,
      statusCode: response.statusCode,
      headers: JSON.stringify(response.headers),
      body: response.body,
    })
    return response
  }
  const query =
    '/attendance/results?from=2024-05-06&to=2024-05-12&users=feishu:u1,feishu:u2,dingtalk:d1,dingtalk:d2'
  const codes = async (name: string, request: InjectOptions, app = main.app) => {
    const body = (await ask(name, request, app)).json<AttendanceResponse>()
    return Object.fromEntries(body.sources.map((source) => [source.source, source.error?.code ?? 'ok']))
  }

  // 1. The network fails before any token is cached: the gettoken URL carries the appsecret.
  dingTalkProxy.mode = 'reset'
  feishuProxy.mode = 'reset'
  t.match(await codes('network error, no token yet', { url: query }), {
    dingtalk: UNAVAILABLE,
    feishu: UNAVAILABLE,
  })
  dingTalkProxy.mode = 'pass'
  feishuProxy.mode = 'pass'
  // 2. Whole queries, GET and POST, raw vendor rows included.
  t.same(await codes('whole query', { url: `${query}&includeRaw=true&overtime=true` }), {
    dingtalk: 'ok',
    feishu: 'ok',
  })
  t.same(
    await codes('whole query, POST', {
      method: 'POST',
      url: '/attendance/results',
      payload: {
        from: '2024-05-06',
        to: '2024-05-19',
        users: ['feishu:u3', 'dingtalk:d3'],
        includeRaw: true,
      },
    }),
    { dingtalk: 'ok', feishu: 'ok' },
  )
  // 3. Network errors with a cached token: the attendance/list URL carries the access_token.
  dingTalkProxy.mode = 'reset'
  feishuProxy.mode = 'reset'
  t.match(await codes('network error, token cached', { url: query }), {
    dingtalk: UNAVAILABLE,
    feishu: UNAVAILABLE,
  })
  // 4. Vendor messages that echo the request: its URL (access_token=…) and Authorization header.
  dingTalkProxy.mode = 'echo'
  feishuProxy.mode = 'echo'
  t.same(await codes('vendor echoes the request', { url: query }), {
    dingtalk: 'VENDOR_BAD_REQUEST',
    feishu: 'VENDOR_BAD_REQUEST',
  })
  t.equal((await ask('vendor echoes the request, strict', { url: `${query}&strict=true` })).statusCode, 502)
  dingTalkProxy.mode = 'pass'
  feishuProxy.mode = 'pass'
  // 5. Tokens revoked at the vendor: refused, replaced, retried.
  simulators.feishu.revokeAllTokens()
  simulators.dingtalk.revokeAllTokens()
  t.same(await codes('revoked tokens', { url: query }), { dingtalk: 'ok', feishu: 'ok' })
  // 6. The simulators' own faults, each for good.
  const faults = [
    ['5xx and busy', { errorRate: 1 }, UNAVAILABLE, UNAVAILABLE],
    ['HTML pages', { htmlErrorRate: 1 }, UNAVAILABLE, UNAVAILABLE],
    [
      'cut-off JSON',
      { malformedRate: 1 },
      /^(VENDOR_BAD_RESPONSE|TIMEOUT)$/,
      /^(VENDOR_BAD_RESPONSE|TIMEOUT)$/,
    ],
    ['hangs', { hangRate: 1, hangMs: 5000 }, 'TIMEOUT', 'TIMEOUT'],
  ] as const
  for (const [name, fault, dingtalk, feishu] of faults) {
    simulators.feishu.configure(fault)
    simulators.dingtalk.configure(fault)
    t.match(await codes(name, { url: query }), { dingtalk, feishu }, name)
    simulators.feishu.configure({ errorRate: 0, htmlErrorRate: 0, malformedRate: 0, hangRate: 0 })
    simulators.dingtalk.configure({ errorRate: 0, htmlErrorRate: 0, malformedRate: 0, hangRate: 0 })
  }
  // 7. Refused credentials, and API keys that are wrong or sent the wrong way.
  t.match(await codes('refused credentials', { url: query }, wrong.app), { dingtalk: 'VENDOR_AUTH_FAILED' })
  t.equal((await ask('wrong API key', { url: query, headers: bearer(WRONG_API_KEY) })).statusCode, 401)
  t.equal(
    (await ask('API key as basic auth', { url: query, headers: { authorization: `Basic ${API_KEY}` } }))
      .statusCode,
    401,
  )

  const tokens = [...feishuProxy.tokens, ...dingTalkProxy.tokens]
  t.ok(
    feishuProxy.tokens.size >= 2 && dingTalkProxy.tokens.size >= 2,
    `${tokens.length} vendor tokens issued`,
  )
  const secrets = [FEISHU_SECRET, DINGTALK_SECRET, WRONG_DINGTALK_SECRET, API_KEY, WRONG_API_KEY, ...tokens]
  const lines = [...main.logs.lines, ...wrong.logs.lines]
  t.ok(lines.length > 50, `${lines.length} log lines`)
  t.ok(
    lines.some((line) => line.includes('"vendor call failed"')),
    'the failure paths were logged (so there was something to leak)',
  )
  for (const secret of secrets) {
    const logged = lines.filter((line) => line.includes(secret))
    t.same(logged, [], `no "${secret.slice(0, 8)}…" in the logs`)
    const answered = answers.filter(
      (answer) => answer.body.includes(secret) || answer.headers.includes(secret),
    )
    t.same(
      answered.map((answer) => answer.name),
      [],
      `no "${secret.slice(0, 8)}…" in any answer`,
    )
  }
})

t.test('an API key sent in the query string by mistake is not logged with the URL', async (t) => {
  const simulators = await startSimulators(t)
  const { app, logs } = await startReplica(t, sourcesFor(simulators), {
    config: { apiKeys: [apiKey('payroll', API_KEY)], rateLimitPerMinute: 0 },
  })
  const response = await app.inject(
    `/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1&api_key=${API_KEY}`,
  )
  t.equal(response.statusCode, 401)
  t.same(
    logs.lines.filter((line) => line.includes(API_KEY)),
    [],
  )
})
