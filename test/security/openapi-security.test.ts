// The OpenAPI document declares the bearer scheme (Swagger UI's "Authorize" button) on exactly the routes
// that ask for a key, with their 401, 403 and 429 answers.
import t from 'tap'
import { buildTestApp } from '../helpers/test-app.js'

t.test('the bearer scheme, on the protected routes only', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject('/docs/json')).json()
  t.same(document.components.securitySchemes, {
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      description: String(document.components.securitySchemes.apiKey.description),
    },
  })
  t.match(document.components.securitySchemes.apiKey.description, /Authorization: Bearer <key>/)

  const protectedOperations = [
    document.paths['/attendance/results'].get,
    document.paths['/attendance/results'].post,
    document.paths['/sources'].get,
  ]
  for (const operation of protectedOperations) {
    t.same(operation.security, [{ apiKey: [] }], `${operation.summary}: needs the key`)
    t.match(operation.responses['401'], { description: /ATT_UNAUTHORIZED/ })
    t.match(operation.responses['429'], { description: /ATT_RATE_LIMITED/ })
  }
  t.match(document.paths['/attendance/results'].get.responses['403'], { description: /ATT_FORBIDDEN_SOURCE/ })
  // Open, and saying so: `security: []` overrides any document-wide requirement.
  for (const path of ['/healthz', '/readyz']) {
    t.same(document.paths[path].get.security, [], `${path} is open`)
  }
  t.equal(document.security, undefined, 'no document-wide requirement')
})
