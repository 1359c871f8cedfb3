// The answers that no route writes: Fastify refusing a body or a path, Node refusing a request that is not
// HTTP, a path no route serves, the Swagger UI's static files. Each is in the service's error shape, with
// the status and code of a row of the error catalogue (so the catalogue's rows for them are real), and a
// request id.
import type { AddressInfo } from 'node:net'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { isCatalogued } from '../../src/errors/catalogue.js'
import { sendRaw } from '../helpers/hostile.js'
import { buildTestApp } from '../helpers/test-app.js'

const RESULTS = '/attendance/results'
const json = { 'content-type': 'application/json' }

const cases: [name: string, request: InjectOptions, status: number, code: string][] = [
  [
    'empty JSON body',
    { method: 'POST', url: RESULTS, headers: json, payload: '' },
    400,
    'FST_ERR_CTP_EMPTY_JSON_BODY',
  ],
  [
    'body that is not JSON',
    { method: 'POST', url: RESULTS, headers: json, payload: '{"from": ' },
    400,
    'FST_ERR_CTP_INVALID_JSON_BODY',
  ],
  [
    'body shorter than Content-Length',
    { method: 'POST', url: RESULTS, headers: { ...json, 'content-length': '3' }, payload: '{"from":1}' },
    400,
    'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
  ],
  [
    'body too large',
    { method: 'POST', url: RESULTS, headers: json, payload: `"${'x'.repeat(1_100_000)}"` },
    413,
    'FST_ERR_CTP_BODY_TOO_LARGE',
  ],
  [
    'body not JSON',
    { method: 'POST', url: RESULTS, headers: { 'content-type': 'text/plain' }, payload: 'x' },
    415,
    'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  ],
  ['path that does not decode', { method: 'GET', url: '/attendance/exports/%zz' }, 400, 'FST_ERR_BAD_URL'],
  [
    'path parameter over 100 characters',
    { method: 'GET', url: `/attendance/exports/${'a'.repeat(101)}` },
    400,
    'FST_ERR_VALIDATION',
  ],
  [
    'path parameter of 8,000 characters',
    { method: 'GET', url: `/attendance/exports/${'a'.repeat(8000)}/file` },
    400,
    'FST_ERR_VALIDATION',
  ],
  [
    'event source id over 100 characters',
    { method: 'POST', url: `/events/feishu/${'s'.repeat(150)}`, payload: {} },
    400,
    'FST_ERR_VALIDATION',
  ],
  ['path not served', { method: 'GET', url: '/attendance/nothing' }, 404, 'ATT_NOT_FOUND'],
  ['method not taken', { method: 'PUT', url: RESULTS }, 405, 'ATT_METHOD_NOT_ALLOWED'],
  [
    'Swagger UI file with a NUL',
    { method: 'GET', url: '/docs/static/a%00b' },
    403,
    'FST_STATIC_FORBIDDEN_PATH',
  ],
  [
    'Swagger UI file with a failing precondition',
    { method: 'GET', url: '/docs/static/swagger-ui.css', headers: { 'if-match': '"not-this-one"' } },
    412,
    'ATT_BAD_REQUEST',
  ],
  [
    'Swagger UI file with a range it does not have',
    { method: 'GET', url: '/docs/static/swagger-ui.css', headers: { range: 'bytes=99999999-' } },
    416,
    'ATT_BAD_REQUEST',
  ],
]

t.test(
  'requests refused before any route: catalogued code and status, error shape, request id',
  async (t) => {
    const { app } = await buildTestApp(t)
    for (const [name, request, status, code] of cases) {
      const response = await app.inject(request)
      t.equal(response.statusCode, status, name)
      t.match(response.headers['content-type'], /^application\/json; charset=utf-8$/, `${name}: JSON`)
      t.match(response.headers['x-request-id'], /\S/, `${name}: a request id`)
      const body = response.json()
      t.same(Object.keys(body), ['statusCode', 'code', 'error', 'message'], `${name}: the error shape`)
      t.match(body, { statusCode: status, code, message: /\S/ }, name)
      t.ok(isCatalogued(body.code, status), `${name}: ${body.code} ${status} is in the catalogue`)
    }
  },
)

t.test('requests Node cannot parse: ATT_BAD_HTTP_REQUEST with 400 or 431', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const requests: [string, Buffer, number][] = [
    [
      'raw byte in the request line',
      Buffer.from('GET /attendance/r\x01sults HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'),
      400,
    ],
    [
      'headers over the limit',
      Buffer.from(`GET ${RESULTS}?users=${'u'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      431,
    ],
  ]
  for (const [name, bytes, status] of requests) {
    const answer = await sendRaw(port, bytes)
    t.equal(answer.statusCode, status, name)
    const body = JSON.parse(answer.raw.toString('utf8'))
    t.match(body, { statusCode: status, code: 'ATT_BAD_HTTP_REQUEST' }, name)
    t.ok(isCatalogued(body.code, status), `${name}: in the catalogue`)
  }
})
