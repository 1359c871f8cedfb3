// Vendor faults that test/integration/faults.test.ts does not cover: answers that are not the vendor's JSON
// (cut-off bodies, HTML gateway pages), hangs, a token revoked in the middle of a long query, rate-limit
// bursts, and vendors that fail for good or from some point on. Each ends in a complete answer, or in
// reports whose `missing` lists exactly the blocks not fetched while every other day is served.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { Counters, DingTalkSimulator, FeishuSimulator } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { assertAccounted, idsOf, inPlanOrder, plannedBlocks, until } from './helpers.js'

type Simulator = FeishuSimulator | DingTalkSimulator
type RuntimePatch = Parameters<FeishuSimulator['configure']>[0] &
  Parameters<DingTalkSimulator['configure']>[0]

// Vendor limits out of the way where they are not what a test is about: simulators that never throttle,
// and sources that pace their calls far faster than the real vendors allow.
const unlimited = { rateLimitPerSecond: 10_000 }
const fast = { rateLimitPerSecond: 500 }

function plansFor(users: string[], from: string, to: string) {
  return {
    feishu: plannedBlocks(idsOf('feishu', users), from, to, 30),
    dingtalk: plannedBlocks(idsOf('dingtalk', users), from, to, 7),
  }
}

const totalCalls = (answer: AttendanceResponse) =>
  answer.sources.reduce((sum, report) => sum + report.vendorCalls, 0)

/**
 * Turns each fault on in turn and off again as soon as the simulator has injected it once. While a fault
 * is on every call fails, so the query cannot finish before every fault has hit; with a latency far above
 * the polling interval, no call is hit twice by one fault, so no call runs out of its attempts.
 */
async function injectInTurn(simulator: Simulator, faults: Array<[keyof Counters, RuntimePatch]>) {
  for (const [counter, on] of faults) {
    simulator.configure(on)
    await until(() => simulator.counters()[counter] >= 1, `${counter} to be injected`)
    simulator.configure(Object.fromEntries(Object.keys(on).map((key) => [key, 0])))
  }
}

t.test(
  'cut-off JSON, HTML error pages and hangs are retried: the answer is complete and equal to the fault-free one',
  async (t) => {
    const simulators = await startSimulators(t, {
      feishu: { ...unlimited, latencyMs: 100 },
      dingtalk: { ...unlimited, latencyMs: 100 },
    })
    const sources = sourcesFor(simulators, {
      // Long enough that only the injected hangs time out, even on a loaded machine.
      feishu: { ...fast, requestTimeoutMs: 1500 },
      dingtalk: { ...fast, requestTimeoutMs: 1500 },
    })
    const { app } = await startReplica(t, sources, { config: { queryTimeoutMs: 60_000 } })
    const payload = {
      from: '2024-05-06',
      to: '2024-05-19',
      users: [...userList('feishu', 60), ...userList('dingtalk', 60)],
    }
    const query = () => app.inject({ method: 'POST', url: '/attendance/results', payload })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)
    t.equal(baseline.results.length, 120 * 10, 'ten work days for each of 120 users')

    for (const simulator of [simulators.feishu, simulators.dingtalk]) simulator.resetCounters()
    const faults: Array<[keyof Counters, RuntimePatch]> = [
      ['injectedMalformed', { malformedRate: 1 }],
      ['injectedHtmlErrors', { htmlErrorRate: 1 }],
      ['injectedHangs', { hangRate: 1 }],
    ]
    // The first fault is on before the query starts.
    simulators.feishu.configure({ malformedRate: 1 })
    simulators.dingtalk.configure({ malformedRate: 1 })
    const answering = query()
    await Promise.all([injectInTurn(simulators.feishu, faults), injectInTurn(simulators.dingtalk, faults)])
    const response = await answering
    t.equal(response.statusCode, 200)
    const answer = response.json<AttendanceResponse>()
    t.equal(answer.complete, true)
    assertAccounted(t, answer, baseline, plansFor(payload.users, payload.from, payload.to))

    let injected = 0
    for (const simulator of [simulators.feishu, simulators.dingtalk]) {
      const counters = simulator.counters()
      t.ok(counters.injectedMalformed >= 1 && counters.injectedHtmlErrors >= 1 && counters.injectedHangs >= 1)
      injected += counters.injectedMalformed + counters.injectedHtmlErrors + counters.injectedHangs
    }
    t.equal(totalCalls(answer), totalCalls(baseline) + injected, 'vendorCalls counts every retry')
  },
)

t.test(
  'a token revoked in the middle of a long query is replaced once, and the query completes',
  async (t) => {
    const simulators = await startSimulators(t, {
      feishu: { ...unlimited, latencyMs: 300 },
      dingtalk: { ...unlimited, latencyMs: 150 },
    })
    // Feishu takes one call per block: one at a time, so that the revocation lands between two of them.
    const sources = sourcesFor(simulators, { feishu: { ...fast, maxConcurrency: 1 }, dingtalk: fast })
    const { app } = await startReplica(t, sources)
    const payload = {
      from: '2024-05-06',
      to: '2024-05-19',
      users: [...userList('feishu', 250), ...userList('dingtalk', 60)],
    }
    const query = () => app.inject({ method: 'POST', url: '/attendance/results', payload })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)

    const { feishu, dingtalk } = simulators
    feishu.resetCounters()
    dingtalk.resetCounters()
    const answering = query()
    const revokeAfter = async (simulator: Simulator, calls: number) => {
      await until(() => simulator.counters().dataCalls >= calls, 'the query to be under way')
      simulator.revokeAllTokens()
      return simulator.counters().dataCalls
    }
    const callsAtRevocation = await Promise.all([revokeAfter(feishu, 2), revokeAfter(dingtalk, 10)])
    const answer = (await answering).json<AttendanceResponse>()
    t.equal(answer.complete, true)
    assertAccounted(t, answer, baseline, plansFor(payload.users, payload.from, payload.to))
    for (const [index, simulator] of [feishu, dingtalk].entries()) {
      const counters = simulator.counters()
      t.ok(counters.dataCalls > (callsAtRevocation[index] ?? 0), 'calls went on after the revocation')
      t.ok(counters.refusedBadToken >= 1, `${counters.refusedBadToken} call(s) refused the revoked token`)
      t.equal(counters.tokenCalls, 1, 'one new token for all the refused calls')
    }
  },
)

t.test(
  'bursts from another client of the app fill the vendor window: refused calls are retried',
  async (t) => {
    // Vendors that allow 10 calls a second, and sources set to 90% of that.
    const simulators = await startSimulators(t, {
      feishu: { latencyMs: 20, rateLimitPerSecond: 10 },
      dingtalk: { latencyMs: 20, rateLimitPerSecond: 10 },
    })
    const sources = sourcesFor(simulators, {
      feishu: { rateLimitPerSecond: 9 },
      dingtalk: { rateLimitPerSecond: 9 },
    })
    const { app } = await startReplica(t, sources)
    const payload = {
      from: '2024-05-06',
      to: '2024-06-02',
      users: [...userList('feishu', 100), ...userList('dingtalk', 4)],
    }
    let answered = false
    const query = () =>
      app.inject({ method: 'POST', url: '/attendance/results', payload }).finally(() => {
        answered = true
      })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)

    const { feishu, dingtalk } = simulators
    // Another client of the same app: its calls to the same API count in the vendor's window (each API has a
    // window of its own). It fires a burst of three times the limit, then more while the query runs, until
    // the vendor has refused some of the service's own calls too.
    const otherFeishuToken = (
      (await (
        await fetch(`${feishu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            app_id: feishu.credentials.appId,
            app_secret: feishu.credentials.appSecret,
          }),
        })
      ).json()) as { tenant_access_token: string }
    ).tenant_access_token
    const { appKey, appSecret } = dingtalk.credentials
    const otherDingTalkToken = (
      (await (await fetch(`${dingtalk.url}/gettoken?appkey=${appKey}&appsecret=${appSecret}`)).json()) as {
        access_token: string
      }
    ).access_token
    feishu.resetCounters()
    dingtalk.resetCounters()
    const feishuCall = () =>
      fetch(`${feishu.url}/open-apis/attendance/v1/user_tasks/query?employee_type=employee_id`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${otherFeishuToken}` },
        body: JSON.stringify({ user_ids: ['other'], check_date_from: 20240506, check_date_to: 20240506 }),
      })
    const dingTalkCall = () =>
      fetch(`${dingtalk.url}/attendance/list?access_token=${otherDingTalkToken}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workDateFrom: '2024-05-06 00:00:00',
          workDateTo: '2024-05-06 00:00:00',
          userIdList: ['other'],
          offset: 0,
          limit: 50,
        }),
      })
    const ownRefusals = [0, 0]
    const burst = async (index: number, call: () => Promise<Response>) => {
      const answers = (await Promise.all(Array.from({ length: 30 }, () => call().then((r) => r.json())))) as {
        code?: number
        errcode?: number
      }[]
      const refused = answers.filter((body) =>
        [body.code, body.errcode].some((code) => code === 99991400 || code === 90018),
      )
      ownRefusals[index] = (ownRefusals[index] ?? 0) + refused.length
    }
    const serviceRefusals = (index: number, simulator: Simulator) =>
      simulator.counters().refusedRateLimit - (ownRefusals[index] ?? 0)
    await Promise.all([burst(0, feishuCall), burst(1, dingTalkCall)])
    answered = false
    const answering = query()
    await Promise.all(
      [feishuCall, dingTalkCall].map((call, index) =>
        until(async () => {
          const simulator = index === 0 ? feishu : dingtalk
          if (answered || serviceRefusals(index, simulator) >= 1) return true
          await burst(index, call)
          return false
        }, 'the query to end or the vendor to refuse one of its calls'),
      ),
    )
    const answer = (await answering).json<AttendanceResponse>()
    const missing = assertAccounted(t, answer, baseline, plansFor(payload.users, payload.from, payload.to))

    for (const [index, [name, simulator]] of (
      [
        ['feishu', feishu],
        ['dingtalk', dingtalk],
      ] as const
    ).entries()) {
      const refused = serviceRefusals(index, simulator)
      t.ok(refused >= 1, `${name}: ${refused} call(s) of the service refused`)
      const report = answer.sources.find((source) => source.source === name)
      const before = baseline.sources.find((source) => source.source === name)
      t.ok((report?.vendorCalls ?? 0) > (before?.vendorCalls ?? 0), `${name}: and retried`)
      if ((missing[name] ?? []).length > 0) {
        // Only when a call was refused on each of its attempts, which DingTalk's unhinted backoff allows.
        t.equal(
          report?.error?.code,
          'VENDOR_RATE_LIMITED',
          `${name}: what is missing is said to be throttled`,
        )
      }
    }
    // Feishu says when its window resets (x-ogw-ratelimit-reset), so its retries always get through.
    t.match(
      answer.sources.find((source) => source.source === 'feishu'),
      { status: 'ok', missing: [] },
    )
  },
)

t.test(
  'a vendor that fails every call: exactly every planned block is missing, the other source is whole',
  async (t) => {
    const simulators = await startSimulators(t, { feishu: unlimited, dingtalk: unlimited })
    const sources = sourcesFor(simulators, { feishu: fast, dingtalk: fast })
    const { app } = await startReplica(t, sources, { config: { queryTimeoutMs: 3000 } })
    const payload = {
      from: '2024-05-06',
      to: '2024-05-25',
      users: [...userList('feishu', 60), ...userList('dingtalk', 60)],
    }
    const query = () => app.inject({ method: 'POST', url: '/attendance/results', payload })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)

    simulators.dingtalk.configure({ errorRate: 1 })
    const started = Date.now()
    const answer = (await query()).json<AttendanceResponse>()
    t.ok(Date.now() - started < 10_000, 'answered within the query deadline and a margin')
    t.equal(answer.complete, false)
    const dingtalk = answer.sources.find((source) => source.source === 'dingtalk')
    const first50 = idsOf('dingtalk', payload.users).slice(0, 50)
    const last10 = idsOf('dingtalk', payload.users).slice(50)
    // In the plan's order; the service lists them in the order they failed.
    t.same(inPlanOrder(dingtalk?.missing, plansFor(payload.users, payload.from, payload.to).dingtalk), [
      { userIds: first50, from: '2024-05-06', to: '2024-05-12' },
      { userIds: first50, from: '2024-05-13', to: '2024-05-19' },
      { userIds: first50, from: '2024-05-20', to: '2024-05-25' },
      { userIds: last10, from: '2024-05-06', to: '2024-05-12' },
      { userIds: last10, from: '2024-05-13', to: '2024-05-19' },
      { userIds: last10, from: '2024-05-20', to: '2024-05-25' },
    ])
    // The vendor's error, or TIMEOUT when the deadline cut the last attempt short.
    t.match(dingtalk, { status: 'error', error: { code: /^(VENDOR_UNAVAILABLE|TIMEOUT)$/ } })
    assertAccounted(t, answer, baseline, plansFor(payload.users, payload.from, payload.to))
    t.equal(answer.results.length, 60 * 15, 'every Feishu day is there')
  },
)

t.test(
  'vendors that answer only cut-off JSON or HTML pages: VENDOR_BAD_RESPONSE / VENDOR_UNAVAILABLE',
  async (t) => {
    const simulators = await startSimulators(t, {
      feishu: { malformedRate: 1 },
      dingtalk: { htmlErrorRate: 1 },
    })
    // A deadline far away: every call runs out of its 6 attempts, so the error is the vendor's, not TIMEOUT.
    const { app } = await startReplica(t, sourcesFor(simulators), { config: { queryTimeoutMs: 30_000 } })
    const payload = {
      from: '2024-05-06',
      to: '2024-05-19',
      users: [...userList('feishu', 3), ...userList('dingtalk', 3)],
    }
    const response = await app.inject({ method: 'POST', url: '/attendance/results', payload })
    t.equal(response.statusCode, 200)
    const answer = response.json<AttendanceResponse>()
    t.same(answer.results, [])
    t.equal(answer.complete, false)
    const plans = plansFor(payload.users, payload.from, payload.to)
    t.match(answer.sources, [
      { source: 'dingtalk', status: 'error', error: { code: 'VENDOR_UNAVAILABLE', vendorCode: 502 } },
      { source: 'feishu', status: 'error', error: { code: 'VENDOR_BAD_RESPONSE', vendorCode: 200 } },
    ])
    t.same(inPlanOrder(answer.sources[0]?.missing, plans.dingtalk), plans.dingtalk)
    t.same(inPlanOrder(answer.sources[1]?.missing, plans.feishu), plans.feishu)
    t.same(
      answer.sources.map((report) => report.vendorCalls),
      [plans.dingtalk.length * 6, plans.feishu.length * 6],
      'every call was tried 6 times',
    )
  },
)

t.test(
  'a vendor that starts failing part-way: partial, and missing is exactly the blocks not fetched',
  async (t) => {
    const simulators = await startSimulators(t, { dingtalk: { ...unlimited, latencyMs: 80 } })
    // One call at a time, so the blocks go in order and the failure starts inside the second one.
    const sources = sourcesFor(simulators, { dingtalk: { ...fast, maxConcurrency: 1 } })
    const { app } = await startReplica(t, sources, { config: { queryTimeoutMs: 3000 } })
    const payload = { from: '2024-05-06', to: '2024-06-02', users: userList('dingtalk', 20) }
    const query = () => app.inject({ method: 'POST', url: '/attendance/results', payload })
    const baseline = (await query()).json<AttendanceResponse>()
    t.equal(baseline.complete, true)
    // 20 users × 5 work days × 2 check points = 200 rows a week: four pages of 50 per block.
    t.equal(baseline.sources[0]?.vendorCalls, 16)

    simulators.dingtalk.resetCounters()
    const answering = query()
    // The sixth call is the second page of the second block (a stalled event loop may make it a later one).
    await until(() => simulators.dingtalk.counters().dataCalls >= 6, 'the second block to be under way')
    simulators.dingtalk.configure({ errorRate: 1 })
    const answer = (await answering).json<AttendanceResponse>()
    const plan = plannedBlocks(idsOf('dingtalk', payload.users), payload.from, payload.to, 7)
    t.match(answer.sources[0], { status: 'partial', error: { code: /^(VENDOR_UNAVAILABLE|TIMEOUT)$/ } })
    const missing = inPlanOrder(answer.sources[0]?.missing, plan)
    const fetched = plan.length - missing.length
    t.ok(fetched >= 1 && fetched < plan.length, `${fetched} block(s) fetched before the vendor failed`)
    t.same(missing, plan.slice(fetched), 'the blocks after the failure began, and only those, are missing')
    assertAccounted(t, answer, baseline, { dingtalk: plan })
    t.ok(answer.results.length > 0, 'the days of the fetched blocks are served')
  },
)
