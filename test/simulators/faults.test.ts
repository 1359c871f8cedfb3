import t from 'tap'
import { type FeishuSimulator, startFeishuSimulator } from '../../src/simulators/index.js'
import {
  dingTalkList,
  dingTalkToken,
  dingTalkTokenCall,
  dingTalkWeek,
  feishuQuery,
  feishuToken,
  feishuTokenCall,
  startDingTalk,
  startFeishu,
  users,
} from './helpers.js'

const week = { user_ids: ['u01'], check_date_from: 20240506, check_date_to: 20240510 }
const FEISHU_INTERNAL = { code: 1225000, msg: 'internal server error' }
const DINGTALK_BUSY = { errcode: -1, errmsg: '系统繁忙' }

t.test('errorRate 1: every data call fails with the vendor body; token calls are spared', async (t) => {
  const feishu = await startFeishu(t, { errorRate: 1 })
  const token = await feishuToken(feishu)
  for (let i = 0; i < 3; i++) {
    const answer = await feishuQuery(feishu, { token, body: week })
    t.same([answer.status, answer.body], [500, FEISHU_INTERNAL])
  }
  t.match(feishu.counters(), { tokenCalls: 1, dataCalls: 3, injectedErrors: 3, rowsServed: 0 })

  const dingtalk = await startDingTalk(t, { errorRate: 1 })
  const access = await dingTalkToken(dingtalk)
  for (let i = 0; i < 3; i++) {
    const answer = await dingTalkList(dingtalk, { token: access, body: dingTalkWeek(['d01']) })
    t.same([answer.status, answer.body], [200, DINGTALK_BUSY])
  }
  t.match(dingtalk.counters(), { tokenCalls: 1, dataCalls: 3, injectedErrors: 3, rowsServed: 0 })
})

t.test('faultsOnTokenCalls extends the faults to token calls', async (t) => {
  const feishu = await startFeishu(t, { errorRate: 1, faultsOnTokenCalls: true })
  const answer = await feishuTokenCall(feishu)
  t.same([answer.status, answer.body], [500, FEISHU_INTERNAL])
  const dingtalk = await startDingTalk(t, { errorRate: 1, faultsOnTokenCalls: true })
  t.same((await dingTalkTokenCall(dingtalk)).body, DINGTALK_BUSY)
})

t.test('a bad token is refused before any fault is drawn', async (t) => {
  const feishu = await startFeishu(t, { errorRate: 1 })
  t.equal((await feishuQuery(feishu, { token: 't-unknown', body: week })).body.code, 99991663)
  t.equal(feishu.counters().injectedErrors, 0)
})

t.test('errorRate 0.5 fails about half the calls, and the same number in every run', async (t) => {
  const failures = async () => {
    const feishu = await startFeishu(t, { errorRate: 0.5, rateLimitPerSecond: 1000 })
    const token = await feishuToken(feishu)
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => feishuQuery(feishu, { token, body: week })),
    )
    const failed = answers.filter((answer) => answer.status === 500).length
    t.equal(feishu.counters().injectedErrors, failed)
    return failed
  }
  const failed = await failures()
  t.ok(failed > 20 && failed < 80, `${failed} of 100 failed`)
  t.equal(await failures(), failed, 'a second simulator with the default faultSeed: the same count')
})

/** Each of `bodies` sent `times` times (in the order given): whether each call got the vendor's error, by body. */
async function errorsByCall(
  feishu: FeishuSimulator,
  bodies: ReadonlyArray<typeof week>,
  times: number,
  concurrently: boolean,
): Promise<Record<string, boolean[]>> {
  const token = await feishuToken(feishu)
  const outcomes: Record<string, boolean[]> = {}
  const send = async (body: typeof week) => {
    // Read as text: a cut-off answer or an HTML page is not JSON.
    const response = await fetch(`${feishu.url}/open-apis/attendance/v1/user_tasks/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
    })
    await response.text()
    const key = body.user_ids.join(',')
    outcomes[key] = [...(outcomes[key] ?? []), response.status === 500]
  }
  for (let round = 0; round < times; round++) {
    if (concurrently) await Promise.all(bodies.map(send))
    else for (const body of bodies) await send(body)
  }
  return outcomes
}

t.test('faults follow faultSeed and the calls, not the order in which calls arrive', async (t) => {
  const bodies = users('u', 30).map((userId) => ({ ...week, user_ids: [userId] }))
  const options = { errorRate: 0.5, rateLimitPerSecond: 1000 }
  const inOrder = await errorsByCall(await startFeishu(t, options), bodies, 2, false)
  const failed = Object.values(inOrder).flat().filter(Boolean).length
  t.ok(failed > 10 && failed < 50, `${failed} of 60 calls failed`)
  t.same(
    await errorsByCall(await startFeishu(t, options), bodies.toReversed(), 2, true),
    inOrder,
    'the same faultSeed, the calls in another order and at once: the same calls fail',
  )
  t.same(
    await errorsByCall(await startFeishu(t, { ...options, faultSeed: 20240601 }), bodies, 2, false),
    inOrder,
    'the default faultSeed is 20240601',
  )
  t.notSame(
    await errorsByCall(await startFeishu(t, { ...options, faultSeed: 'another' }), bodies, 2, false),
    inOrder,
    'another faultSeed: other calls fail',
  )
  const alsoCut = await errorsByCall(
    await startFeishu(t, { ...options, malformedRate: 0.5, htmlErrorRate: 0.5 }),
    bodies,
    2,
    false,
  )
  t.same(alsoCut, inOrder, 'faults drawn after the error (malformed, HTML) do not move the errors')
})

t.test('faultSeed is a start option, checked like the data seed', async (t) => {
  await t.rejects(startFeishuSimulator({ faultSeed: {} as never }), {
    name: 'SimulatorOptionsError',
    message: /faultSeed must be a number or a string/,
  })
  const dingtalk = await startDingTalk(t, { faultSeed: 7 })
  t.throws(() => dingtalk.configure({ faultSeed: 8 } as never), {
    name: 'SimulatorOptionsError',
    message: /faultSeed is not an option here/,
  })
  t.notOk('faultSeed' in dingtalk.config(), 'not among the options that change while running')
})

t.test('a hang answers nothing: a client with a timeout gives up', async (t) => {
  const feishu = await startFeishu(t, { hangRate: 1, hangMs: 10_000 })
  const token = await feishuToken(feishu)
  const started = performance.now()
  const error = await feishuQuery(feishu, { token, body: week, signal: AbortSignal.timeout(300) }).catch(
    (e) => e,
  )
  const elapsed = performance.now() - started
  t.equal(error?.name, 'TimeoutError')
  t.ok(elapsed >= 290 && elapsed < 5000, `gave up after ${Math.round(elapsed)} ms`)
  t.equal(feishu.counters().injectedHangs, 1)
})

t.test('after hangMs the connection is dropped without an answer', async (t) => {
  const dingtalk = await startDingTalk(t, { hangRate: 1, hangMs: 200 })
  const token = await dingTalkToken(dingtalk)
  const started = performance.now()
  const error = await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) }).catch((e) => e)
  t.type(error, TypeError, 'fetch failed: the socket closed')
  t.ok(performance.now() - started >= 195)
  t.match(dingtalk.counters(), { injectedHangs: 1, rowsServed: 0 })
})

t.test('closing a simulator does not wait for hanging calls', async (t) => {
  const feishu = await startFeishu(t, { hangRate: 1, hangMs: 60_000 })
  const token = await feishuToken(feishu)
  const hanging = feishuQuery(feishu, { token, body: week }).catch((e) => e)
  while (feishu.counters().injectedHangs === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const started = performance.now()
  await feishu.close()
  t.ok(performance.now() - started < 1000, 'closed at once')
  t.type(await hanging, TypeError)
})

t.test('a fixed latency delays every data call, not token calls', async (t) => {
  const feishu = await startFeishu(t, { latencyMs: 200 })
  const token = await feishuTokenCall(feishu)
  const answer = await feishuQuery(feishu, { token: token.body.tenant_access_token, body: week })
  t.equal(answer.body.code, 0)
  t.ok(answer.ms >= 199, `data call ${Math.round(answer.ms)} ms`)
  t.ok(token.ms < answer.ms, `token call ${Math.round(token.ms)} ms`)
  const refused = await feishuQuery(feishu, { token: 't-unknown', body: week })
  t.ok(refused.ms >= 199, 'refusals take the latency too')
})

t.test('a latency range draws each delay within it', async (t) => {
  const dingtalk = await startDingTalk(t, { latencyMs: { min: 50, max: 150 } })
  const token = await dingTalkToken(dingtalk)
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })),
  )
  t.ok(
    answers.every((answer) => answer.ms >= 49),
    answers.map((answer) => Math.round(answer.ms)).join(', '),
  )
})

t.test('peakConcurrency counts the calls in flight at once', async (t) => {
  const dingtalk = await startDingTalk(t, { latencyMs: 500 })
  const token = await dingTalkToken(dingtalk)
  dingtalk.resetCounters()
  await Promise.all(
    Array.from({ length: 10 }, () => dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })),
  )
  t.equal(dingtalk.counters().peakConcurrency, 10)
  await dingTalkList(dingtalk, { token, body: dingTalkWeek(['d01']) })
  t.equal(dingtalk.counters().peakConcurrency, 10, 'a peak, not the current value')
})
