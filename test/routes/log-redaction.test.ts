// Secrets never reach a log line: app secrets, vendor tokens (DingTalk's rides in the URL) and the
// Authorization header, at debug level, over full queries against both simulators.
import t from 'tap'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

t.test('no secret or token in any log line', async (t) => {
  const simulators = await startSimulators(t, {
    feishu: { appSecret: 'feishu-app-secret-XYZ' },
    dingtalk: { appSecret: 'dingtalk-app-secret-XYZ' },
  })
  const { app, logs } = await startReplica(t, sourcesFor(simulators), { config: { logLevel: 'trace' } })
  const response = await app.inject({
    url: '/attendance/results?from=2024-05-06&to=2024-05-17&users=feishu:u1,dingtalk:d1&access_token=sneaky-query-token',
    headers: { authorization: 'Bearer api-key-that-must-not-leak' },
  })
  t.equal(response.statusCode, 400, 'the unknown parameter is refused, and still logged safely')
  simulators.feishu.revokeAllTokens()
  simulators.dingtalk.revokeAllTokens()
  t.equal(
    (await app.inject('/attendance/results?from=2024-05-06&to=2024-05-17&users=feishu:u1,dingtalk:d1'))
      .statusCode,
    200,
  )

  const tokens = await issuedTokens(simulators)
  t.ok(tokens.length >= 2, 'tokens were issued')
  const text = logs.lines.join('\n')
  t.ok(logs.lines.length > 5, `${logs.lines.length} log lines captured`)
  for (const secret of [
    'feishu-app-secret-XYZ',
    'dingtalk-app-secret-XYZ',
    'api-key-that-must-not-leak',
    'sneaky-query-token',
    ...tokens,
  ]) {
    t.notOk(text.includes(secret), `no "${secret.slice(0, 6)}…" in the logs`)
  }
  t.ok(text.includes('[REDACTED]'), 'the redacted places are marked')
})

/** The tokens the simulators issued, fetched the way a vendor client would (the app cached the same ones). */
async function issuedTokens(simulators: Awaited<ReturnType<typeof startSimulators>>): Promise<string[]> {
  const feishu = await fetch(`${simulators.feishu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      app_id: simulators.feishu.credentials.appId,
      app_secret: simulators.feishu.credentials.appSecret,
    }),
  }).then((response) => response.json() as Promise<{ tenant_access_token: string }>)
  const dingtalk = await fetch(
    `${simulators.dingtalk.url}/gettoken?appkey=${simulators.dingtalk.credentials.appKey}&appsecret=${simulators.dingtalk.credentials.appSecret}`,
  ).then((response) => response.json() as Promise<{ access_token: string }>)
  return [feishu.tenant_access_token, dingtalk.access_token]
}
