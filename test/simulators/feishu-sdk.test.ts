// The vendor's own Node SDK, @larksuiteoapi/node-sdk, unchanged, against the Feishu simulator: its Client
// with the simulator's URL as `domain` fetches a tenant_access_token and calls attendance user_tasks/query
// (client.attendance.userTask.query), and gets what the simulator computes. A client written from the
// vendor's SDK must work here as it would at open.feishu.cn.
import * as lark from '@larksuiteoapi/node-sdk'
import t from 'tap'
import { feishuTaskFor } from '../../src/simulators/index.js'
import { startFeishu } from './helpers.js'

const JUNE = Date.parse('2024-06-01T12:00:00+08:00')
const WEEK = [20240506, 20240507, 20240508, 20240509, 20240510]

t.test('the SDK fetches a tenant token and queries user tasks', async (t) => {
  const feishu = await startFeishu(t, { rateLimitPerSecond: 100_000, dataClock: () => JUNE })
  const client = new lark.Client({
    appId: feishu.credentials.appId,
    appSecret: feishu.credentials.appSecret,
    domain: feishu.url,
    loggerLevel: lark.LoggerLevel.error,
  })

  const token = await client.auth.tenantAccessToken.internal({
    data: { app_id: feishu.credentials.appId, app_secret: feishu.credentials.appSecret },
  })
  // The SDK's token manager fetched a token first (every SDK call, this one too, is sent with one): this is
  // the same token, a moment later, with `expire` counted down from 7200.
  t.match(token, { code: 0, tenant_access_token: /^t-[0-9a-f]{32}$/ })
  const { expire } = token as { expire: number }
  t.ok(expire > 7100 && expire <= 7200, `expire ${expire}`)
  t.equal(
    await client.tokenManager.getTenantAccessToken(),
    (token as { tenant_access_token: string }).tenant_access_token,
    'its token manager is handed the same token while more than 30 minutes are left',
  )

  const answer = await client.attendance.userTask.query({
    params: { employee_type: 'employee_id', ignore_invalid_users: true, include_terminated_user: true },
    data: {
      user_ids: ['u02', 'u01', 'invalid_x', 'departed_20240507_li'],
      check_date_from: 20240506,
      check_date_to: 20240510,
      need_overtime_result: true,
    },
  })
  t.equal(answer.code, 0)
  t.same(answer.data?.user_task_results, [
    ...WEEK.slice(0, 2).map((day) =>
      feishuTaskFor('departed_20240507_li', day, { overtime: true, departed: true }),
    ),
    ...WEEK.slice(2).map((day) => feishuTaskFor('departed_20240507_li', day, { overtime: true })),
    ...WEEK.map((day) => feishuTaskFor('u01', day, { overtime: true })),
    ...WEEK.map((day) => feishuTaskFor('u02', day, { overtime: true })),
  ])
  t.same(answer.data?.invalid_user_ids, ['invalid_x'])
  t.same(answer.data?.unauthorized_user_ids, [])
  t.match(feishu.counters(), { tokenCalls: 2, dataCalls: 1, refusedBadToken: 0, refusedBadParams: 0 })
})

t.test('a refusal reaches the SDK caller as the HTTP status and the code and msg', async (t) => {
  // The SDK keeps tokens in a cache shared by every Client of the process, per app id: another app id than
  // the first test's, or its token from the other simulator would be sent here.
  const feishu = await startFeishu(t, { rateLimitPerSecond: 100_000, appId: 'cli_sdk_refusal' })
  const client = new lark.Client({
    appId: feishu.credentials.appId,
    appSecret: feishu.credentials.appSecret,
    domain: feishu.url,
    loggerLevel: lark.LoggerLevel.fatal,
  })
  const refused = await client.attendance.userTask
    .query({
      params: { employee_type: 'employee_id' },
      data: { user_ids: ['u01'], check_date_from: 20240510, check_date_to: 20240506 },
    })
    .then(
      () => undefined,
      (error: { response?: { status: number; data: unknown } }) => error.response,
    )
  t.same(refused && [refused.status, refused.data], [
    400,
    { code: 1220001, msg: 'param is invalid: check_date_from must not be after check_date_to' },
  ])
})
