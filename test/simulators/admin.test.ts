import t from 'tap'
import {
  SimulatorOptionsError,
  startDingTalkSimulator,
  startFeishuSimulator,
} from '../../src/simulators/index.js'
import {
  admin,
  dingTalkList,
  dingTalkToken,
  dingTalkWeek,
  feishuQuery,
  feishuToken,
  startDingTalk,
  startFeishu,
  ZERO_COUNTERS,
} from './helpers.js'

const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }

t.test('GET /__sim/counters reports the same counters, and admin calls are not counted', async (t) => {
  const feishu = await startFeishu(t)
  const token = await feishuToken(feishu)
  await feishuQuery(feishu, { token, body: week })
  const expected = {
    ...ZERO_COUNTERS,
    tokenCalls: 1,
    dataCalls: 1,
    peakPerSecond: 2,
    peakConcurrency: 1,
    rowsServed: 5,
    quotaUsed: 1,
  }
  t.same(await admin(`${feishu.url}/__sim/counters`, 'GET'), { status: 200, body: expected })
  t.same(await admin(`${feishu.url}/__sim/counters`, 'GET'), { status: 200, body: expected })
  t.same(feishu.counters(), expected)
})

t.test('POST /__sim/counters/reset zeroes them', async (t) => {
  const dingtalk = await startDingTalk(t)
  await dingTalkToken(dingtalk)
  t.same(await admin(`${dingtalk.url}/__sim/counters/reset`, 'POST'), { status: 200, body: ZERO_COUNTERS })
  t.same(dingtalk.counters(), ZERO_COUNTERS)
  await dingTalkToken(dingtalk)
  dingtalk.resetCounters()
  t.same(dingtalk.counters(), ZERO_COUNTERS, 'resetCounters() does the same')
})

t.test('POST /__sim/tokens/revoke revokes every token', async (t) => {
  const feishu = await startFeishu(t, { tokenTtlSeconds: 60 })
  const first = await feishuToken(feishu)
  const second = await feishuToken(feishu)
  t.same(await admin(`${feishu.url}/__sim/tokens/revoke`, 'POST'), { status: 200, body: { revoked: 2 } })
  for (const token of [first, second])
    t.equal((await feishuQuery(feishu, { token, body: week })).body.code, 99991663)
  const dingtalk = await startDingTalk(t)
  const token = await dingTalkToken(dingtalk)
  t.same(await admin(`${dingtalk.url}/__sim/tokens/revoke`, 'POST', {}), {
    status: 200,
    body: { revoked: 1 },
  })
  t.equal((await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })).body.errcode, 40014)
})

t.test('GET /__sim/config shows the runtime options; PATCH changes them', async (t) => {
  const feishu = await startFeishu(t)
  const defaults = {
    tokenTtlSeconds: 7200,
    rateLimitPerSecond: 50,
    rateLimitCountsRefused: true,
    latencyMs: 0,
    errorRate: 0,
    hangRate: 0,
    hangMs: 60_000,
    malformedRate: 0,
    htmlErrorRate: 0,
    faultsOnTokenCalls: false,
    rateLimitVariant: 429,
    feishuReuseThresholdSeconds: 1800,
    monthlyQuota: 0,
  }
  t.same(await admin(`${feishu.url}/__sim/config`, 'GET'), { status: 200, body: defaults })
  t.same(feishu.config(), defaults)
  const token = await feishuToken(feishu)
  const patched = await admin(`${feishu.url}/__sim/config`, 'PATCH', {
    errorRate: 1,
    latencyMs: { min: 0, max: 1 },
  })
  t.same(patched, { status: 200, body: { ...defaults, errorRate: 1, latencyMs: { min: 0, max: 1 } } })
  t.equal((await feishuQuery(feishu, { token, body: week })).status, 500)
  t.same((await admin(`${feishu.url}/__sim/config`, 'PATCH')).body, feishu.config(), 'an empty patch')

  const dingtalk = await startDingTalk(t)
  const { feishuReuseThresholdSeconds: _feishuOnly, ...common } = defaults
  t.same((await admin(`${dingtalk.url}/__sim/config`, 'GET')).body, {
    ...common,
    rateLimitPerSecond: 20,
    rateLimitVariant: '90018',
    retentionDays: 0,
  })
  await admin(`${dingtalk.url}/__sim/config`, 'PATCH', { rateLimitPerSecond: 1, rateLimitVariant: '88' })
  const access = await dingTalkToken(dingtalk)
  const list = () => dingTalkList(dingtalk, { token: access, body: dingTalkWeek(['d01']) })
  t.same(
    [(await list()).body.errcode, (await list()).body.errcode],
    [0, 88],
    'one call a second to attendance/list (the token call has its own window), then the 88 variant',
  )
})

t.test('a bad patch is refused whole, with every problem named', async (t) => {
  const feishu = await startFeishu(t)
  const answer = await admin(`${feishu.url}/__sim/config`, 'PATCH', {
    errorRate: 2,
    appId: 'x',
    latencyMs: 5,
  })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'SimulatorOptionsError')
  t.match(answer.body.message, /^errorRate must be a number in 0\.\.1; appId is not an option here/)
  t.equal(feishu.config().latencyMs, 0, 'nothing applied')
  t.throws(() => feishu.configure({ rateLimitVariant: 418 as 429 }), SimulatorOptionsError)
  t.throws(() => feishu.configure({ latencyMs: { min: 10, max: 5 } }), {
    message: 'latencyMs must be a number of ms or {min, max} with 0 ≤ min ≤ max',
  })
  const notJson = await fetch(`${feishu.url}/__sim/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: '{errorRate',
  })
  t.equal(notJson.status, 400, 'a body that is not JSON')
  t.same(await admin(`${feishu.url}/__sim/config`, 'PATCH', [1]), {
    status: 400,
    body: { error: 'SimulatorOptionsError', message: 'options must be an object' },
  })
})

t.test('bad start options are refused before listening', async (t) => {
  await t.rejects(startFeishuSimulator({ timezone: 'Mars/Olympus' }), {
    name: 'SimulatorOptionsError',
    message: 'timezone must be an IANA time zone name',
  })
  await t.rejects(startDingTalkSimulator({ rateLimitPerSecond: 0, appKey: '' }), {
    message: 'rateLimitPerSecond must be an integer ≥ 1; appKey must be a non-empty string',
  })
  await t.rejects(startDingTalkSimulator({ bogus: true } as object), SimulatorOptionsError)
})

t.test('url has no trailing slash and port matches it', async (t) => {
  const feishu = await startFeishu(t)
  t.equal(feishu.url, `http://127.0.0.1:${feishu.port}`)
  t.ok(feishu.port > 0)
  await feishu.close()
  await feishu.close()
  t.pass('close twice is fine')
})
