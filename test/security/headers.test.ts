// Security headers: helmet's set on every answer, the strictest CSP on the JSON API, a CSP on the Swagger UI
// pages that lets the UI work (test/browser drives it in a real browser), and nothing cached by default.
import t from 'tap'
import { DOCS_CSP } from '../../src/service/plugins/external/security-headers.js'
import { apiKey, bearer } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/test-app.js'

const API_CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'"
const KEY = 'headers-key-4c8e21'

t.test('JSON answers, errors included, carry the security headers and the strict CSP', async (t) => {
  const { app } = await buildTestApp(t, { apiKeys: [apiKey('ops', KEY)] })
  const answers = {
    ok: await app.inject({
      url: '/attendance/results?from=2024-05-06&to=2024-05-10&users=feishu:u1',
      headers: bearer(KEY),
    }),
    unauthorized: await app.inject('/sources'),
    invalid: await app.inject({ url: '/attendance/results?from=nope', headers: bearer(KEY) }),
    notFound: await app.inject('/nope'),
    health: await app.inject('/healthz'),
  }
  for (const [name, response] of Object.entries(answers)) {
    const { headers } = response
    t.equal(headers['content-security-policy'], API_CSP, `${name}: CSP`)
    t.equal(headers['x-content-type-options'], 'nosniff', `${name}: nosniff`)
    t.equal(headers['x-frame-options'], 'SAMEORIGIN', `${name}: x-frame-options`)
    t.equal(headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', `${name}: HSTS`)
    t.equal(headers['referrer-policy'], 'no-referrer', `${name}: referrer-policy`)
    t.equal(headers['cross-origin-opener-policy'], 'same-origin', `${name}: COOP`)
    t.equal(headers['cross-origin-resource-policy'], 'same-origin', `${name}: CORP`)
    t.equal(headers['cache-control'], 'no-store', `${name}: not cached`)
    t.equal(headers['x-powered-by'], undefined, `${name}: no x-powered-by`)
    t.match(headers['content-type'], /^application\/json/, `${name}: JSON`)
  }
})

t.test('the Swagger UI pages get a CSP that allows the UI, and no inline script', async (t) => {
  const { app } = await buildTestApp(t)
  for (const url of ['/docs/', '/docs/static/swagger-initializer.js', '/docs/json']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 200, url)
    t.equal(response.headers['content-security-policy'], DOCS_CSP, `${url}: the docs CSP`)
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
  }
  t.match(DOCS_CSP, /(^|; )script-src 'self'(;|$)/, 'scripts only from the service itself')
  t.notMatch(DOCS_CSP, /unsafe-eval|upgrade-insecure-requests/)
  t.match(DOCS_CSP, /connect-src 'self'/, '"Try it out" may call the API')
  t.match(DOCS_CSP, /object-src 'none'/)
  const page = await app.inject('/docs/')
  const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length > 0)
  for (const [, attributes, content] of scripts) {
    t.match(attributes, /\bsrc="/, 'every script is a file')
    t.equal(content?.trim(), '', 'no inline script')
  }
})
