// A path the service serves, asked with a method it does not take, is 405 with `Allow` (RFC 9110 §15.5.6),
// in the service's error shape; a path it does not serve at all stays 404. The document says so on every
// operation.
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

const cases: [method: string, url: string, allow: string][] = [
  ['PUT', '/attendance/results', 'GET, HEAD, POST'],
  ['DELETE', '/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1', 'GET, HEAD, POST'],
  ['PATCH', '/attendance/plan', 'GET, HEAD, POST'],
  ['PUT', '/attendance/exports', 'GET, HEAD, POST'],
  ['POST', '/attendance/exports/3f2a9c', 'DELETE, GET, HEAD'],
  ['DELETE', '/attendance/exports/3f2a9c/file', 'GET, HEAD'],
  ['DELETE', '/attendance/changes', 'GET, HEAD'],
  ['POST', '/sources', 'GET, HEAD'],
  ['DELETE', '/healthz', 'GET, HEAD'],
  ['OPTIONS', '/readyz', 'GET, HEAD'],
  ['GET', '/events/feishu/feishu', 'POST'],
  ['PUT', '/events/dingtalk/anything', 'POST'],
  ['POST', '/docs/json', 'GET, HEAD'],
]

t.test('a served path asked with another method: 405 with Allow', async (t) => {
  const { app } = await buildTestApp(t)
  for (const [method, url, allow] of cases) {
    const response = await app.inject({ method: method as 'GET', url })
    const name = `${method} ${url}`
    t.equal(response.statusCode, 405, name)
    t.equal(response.headers.allow, allow, `${name}: Allow`)
    t.match(response.headers['content-type'], /^application\/json/, `${name}: JSON`)
    const path = url.split('?')[0]
    t.same(
      response.json(),
      {
        statusCode: 405,
        code: 'ATT_METHOD_NOT_ALLOWED',
        error: 'Method Not Allowed',
        message: `${method} is not allowed on ${path}; it takes ${allow}`,
      },
      `${name}: the error body`,
    )
    t.ok(response.headers['x-request-id'], `${name}: has a request id`)
  }
})

t.test('HEAD on a path that has no GET: 405 with Allow and no body', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'HEAD', url: '/events/feishu/feishu' })
  t.equal(response.statusCode, 405)
  t.equal(response.headers.allow, 'POST')
  t.equal(response.body, '')
})

t.test('every method in Allow reaches a route', async (t) => {
  const { app } = await buildTestApp(t)
  for (const [, url, allow] of cases) {
    for (const method of allow.split(', ')) {
      const response = await app.inject({ method: method as 'GET', url })
      t.not(response.statusCode, 405, `${method} ${url}`)
      // A HEAD answer has no body; the others say which route answered, if any.
      if (method !== 'HEAD') {
        t.notMatch(response.json(), { code: /^ATT_(NOT_FOUND|METHOD_NOT_ALLOWED)$/ }, `${method} ${url}`)
      }
    }
  }
})

t.test('a path the service does not serve stays 404, with no Allow', async (t) => {
  const { app } = await buildTestApp(t)
  for (const [method, url] of [
    ['GET', '/attendance/nope'],
    ['PUT', '/attendance/nope'],
    ['GET', '/attendance/results/'],
    ['GET', '/attendance/exports/a/b/c'],
    ['DELETE', '/'],
  ] as const) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 404, `${method} ${url}`)
    t.equal(response.headers.allow, undefined, `${method} ${url}: no Allow`)
    t.same(response.json(), {
      statusCode: 404,
      code: 'ATT_NOT_FOUND',
      error: 'Not Found',
      message: `no route ${method} ${url}`,
    })
  }
})

interface DocumentedResponse {
  description: string
  headers?: Record<string, { schema: { type: string }; description: string }>
  content?: Record<string, { schema: { required: string[]; properties: { code: { enum: string[] } } } }>
}

t.test('the document gives every operation its 405, with Allow', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json() as {
    paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>>
  }
  let operations = 0
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(byMethod)) {
      operations++
      const documented = operation.responses['405']
      t.ok(documented, `${method.toUpperCase()} ${path} documents 405`)
      if (!documented) continue
      t.match(documented.description, /Allow/)
      t.match(documented.headers?.Allow, { schema: { type: 'string' }, description: String })
      const schema = documented.content?.['application/json']?.schema
      t.same(schema?.properties?.code?.enum, ['ATT_METHOD_NOT_ALLOWED'], `${method} ${path}: the code`)
      t.same(schema?.required, ['statusCode', 'code', 'error', 'message'])
    }
  }
  t.ok(operations >= 18, `${operations} operations`)
})
