// The error handler sends only what the catalogue lists: a code it does not know, from a plugin or a new
// error, does not reach a client as an undocumented code. A 4xx keeps its status and message and goes out
// as ATT_BAD_REQUEST; a 5xx is a failure like any other (ATT_INTERNAL). Both are logged, with the code.
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

const QUERY = '/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1'

async function answerTo(t: Test, thrown: object) {
  const { app, logs } = await buildTestApp(t)
  const fail = async () => {
    throw Object.assign(new Error('the thing went wrong'), thrown)
  }
  Object.assign(app.queryService, { run: fail, execute: fail })
  const response = await app.inject(QUERY)
  return { response, logs }
}

t.test('a 4xx code outside the catalogue: its status and message, as ATT_BAD_REQUEST', async (t) => {
  const { response, logs } = await answerTo(t, { code: 'FST_ERR_SOMETHING_NEW', statusCode: 409 })
  t.equal(response.statusCode, 409)
  t.same(response.json(), {
    statusCode: 409,
    code: 'ATT_BAD_REQUEST',
    error: 'Conflict',
    message: 'the thing went wrong',
  })
  const logged = logs.records().find((line) => line.msg === 'an error code outside src/error-catalogue.ts')
  t.match(logged, { level: 40, code: 'FST_ERR_SOMETHING_NEW', statusCode: 409 }, 'logged as a warning')
})

t.test('a known code with a status the catalogue does not give it: ATT_BAD_REQUEST', async (t) => {
  const { response } = await answerTo(t, { code: 'ATT_RANGE_TOO_LONG', statusCode: 422 })
  t.equal(response.statusCode, 422)
  t.match(response.json(), { statusCode: 422, code: 'ATT_BAD_REQUEST' })
})

t.test('a 5xx code outside the catalogue: the generic 500', async (t) => {
  const { response, logs } = await answerTo(t, { code: 'FST_ERR_REP_INVALID_PAYLOAD_TYPE', statusCode: 500 })
  t.equal(response.statusCode, 500)
  t.same(response.json(), {
    statusCode: 500,
    code: 'ATT_INTERNAL',
    error: 'Internal Server Error',
    message: 'the service failed to answer; the request id is in the x-request-id header',
  })
  t.ok(
    logs.records().some((line) => line.msg === 'request failed' && line.level === 50),
    'logged as an error',
  )
})

t.test('a catalogued code goes out as it is', async (t) => {
  const { response } = await answerTo(t, { code: 'ATT_OVERLOADED', statusCode: 503 })
  t.equal(response.statusCode, 503)
  t.same(response.json(), {
    statusCode: 503,
    code: 'ATT_OVERLOADED',
    error: 'Service Unavailable',
    message: 'the thing went wrong',
  })
})
