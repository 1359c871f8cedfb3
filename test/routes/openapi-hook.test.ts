// The hook of the test helpers (test/helpers/openapi-hook.ts) holds every answer of a helper-built app
// against the document that app serves. Here each kind of drift is made on purpose, after the route's own
// code (a later onSend hook, a route the document leaves out): the hook names the operation, the status and
// the first problem, for an answer through inject and over a real socket alike.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { validatedAnswers } from '../helpers/openapi-hook.js'
import { buildTestApp } from '../helpers/test-app.js'

type App = Awaited<ReturnType<typeof buildTestApp>>['app']

/** An app whose answers to requests carrying `x-drift` are changed by `drift` after the route. */
async function driftingApp(t: Parameters<typeof buildTestApp>[0], drift: (app: App) => void) {
  return buildTestApp(t, { apiKeys: [apiKey('payroll', 'hook-test-key-0c9e4f')] }, { beforeReady: drift })
}

t.test('a body off its schema: the operation, the status and the first schema error', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.addHook('onSend', async (request, _reply, payload) =>
      request.headers['x-drift'] ? JSON.stringify({ status: 'fine' }) : payload,
    ),
  )
  const mismatch = openapi.expectMismatch(/getHealth/)
  const answer = await app.inject({ url: '/healthz', headers: { 'x-drift': '1' } })
  t.equal(answer.statusCode, 200, 'the drift is in the body only')
  t.same(answer.json(), { status: 'fine' })
  t.equal(
    mismatch.message,
    'getHealth (GET /healthz) answered 200: body/status must be equal to one of the allowed values ["ok"]',
  )
  t.equal((await app.inject('/healthz')).statusCode, 200, 'an answer as documented passes')
  t.ok(validatedAnswers().has('getHealth 200'), 'and is counted')
})

t.test('a media type the document does not give for the status', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.headers['x-drift']) reply.type('text/plain')
      return payload
    }),
  )
  const mismatch = openapi.expectMismatch(/getReadiness/)
  await app.inject({ url: '/readyz', headers: { 'x-drift': '1' } })
  t.equal(
    mismatch.message,
    'getReadiness (GET /readyz) answered 200: Content-Type text/plain is not documented (application/json)',
  )
})

t.test('a header the document marks required, missing', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.headers['x-drift']) reply.removeHeader('www-authenticate')
      return payload
    }),
  )
  const mismatch = openapi.expectMismatch(/listSources/)
  await app.inject({ url: '/sources', headers: { 'x-drift': '1', authorization: 'Bearer nope' } })
  t.equal(
    mismatch.message,
    'listSources (GET /sources) answered 401: header WWW-Authenticate is required but absent',
  )
})

t.test('a status the operation does not list is held against `default`', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.headers['x-drift']) reply.status(418)
      return payload
    }),
  )
  const mismatch = openapi.expectMismatch(/getHealth/)
  await app.inject({ url: '/healthz', headers: { 'x-drift': '1' } })
  t.match(mismatch.message, 'getHealth (GET /healthz) answered 418 (not listed: held against `default`): ')
})

t.test('a route the document leaves out', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.get('/attendance/secret', { schema: { hide: true } }, async () => ({ ok: true })),
  )
  const mismatch = openapi.expectMismatch(/secret/)
  t.equal((await app.inject('/attendance/secret')).statusCode, 200)
  t.equal(
    mismatch.message,
    'GET /attendance/secret answered 200, but the document has no path /attendance/secret',
  )
  t.equal((await app.inject('/metrics')).statusCode, 200, 'the routes kept out on purpose are not flagged')
  t.equal((await app.inject('/docs/json')).statusCode, 200)
})

t.test('over a real socket, a streamed answer, and HEAD as its GET without a body', async (t) => {
  const { app, openapi } = await driftingApp(t, (app) =>
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.headers['x-drift']) reply.type('text/html')
      return payload
    }),
  )
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const send = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const sent = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      })
      sent.on('error', reject)
      sent.end()
    })
  const query = '/attendance/results?from=2024-05-06&to=2024-05-07&users=feishu:u1,dingtalk:d1&format=ndjson'
  t.equal(
    await send('GET', query, bearer('hook-test-key-0c9e4f')),
    200,
    'an NDJSON stream, each line read as JSON',
  )
  t.ok(validatedAnswers().has('getResults 200'))
  t.equal(await send('HEAD', '/healthz'), 200)
  const mismatch = openapi.expectMismatch(/getHealth/)
  t.equal(await send('HEAD', '/healthz', { 'x-drift': '1' }), 200)
  t.equal(
    mismatch.message,
    'getHealth (HEAD /healthz) answered 200: Content-Type text/html is not documented (application/json)',
  )
})
