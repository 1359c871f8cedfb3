// TRUST_PROXY: behind the load balancer the inbound rate limit counts each client, not the balancer.
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { buildTestApp } from '../helpers/test-app.js'

t.test('TRUST_PROXY values', async (t) => {
  t.equal(loadConfig({}).trustProxy, false, 'off by default')
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), { name: 'ConfigError', message: /TRUST_PROXY/ })
})

t.test(
  'with the proxy network trusted, clients behind the proxy have their own inbound budgets',
  async (t) => {
    const query = '/attendance/results?from=2024-05-06&to=2024-05-06&users=feishu:u1'
    const ask = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], client: string) =>
      app.inject({ url: query, headers: { 'x-forwarded-for': client }, remoteAddress: '10.1.2.3' })

    const { app: behind } = await buildTestApp(t, { rateLimitPerMinute: 1, trustProxy: ['10.0.0.0/8'] })
    t.equal((await ask(behind, '203.0.113.1')).statusCode, 200)
    t.equal((await ask(behind, '203.0.113.2')).statusCode, 200, 'another client: its own budget')
    t.equal((await ask(behind, '203.0.113.1')).statusCode, 429, 'the first client again: over its budget')

    const { app: direct } = await buildTestApp(t, { rateLimitPerMinute: 1 })
    t.equal((await ask(direct, '203.0.113.1')).statusCode, 200)
    t.equal(
      (await ask(direct, '203.0.113.2')).statusCode,
      429,
      'untrusted: X-Forwarded-For is ignored, one budget',
    )
  },
)
