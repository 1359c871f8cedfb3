// Budgets, the vendor's monthly quota, retention, the plan preview and refreshes, over real Redis and the
// simulators over HTTP.
import t from 'tap'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import { workDateInZone } from '../../src/platform/time/zoned-time.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { dingTalkRowsFor } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'

type App = Awaited<ReturnType<typeof startReplica>>['app']
const fast = { rateLimitPerSecond: 10_000 }
const cached = { cacheTtlSeconds: 21_600 }

async function post<T>(app: App, url: string, payload: object): Promise<T> {
  const response = await app.inject({ method: 'POST', url, payload })
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  return response.json<T>()
}
const results = (app: App, payload: object) => post<AttendanceResponse>(app, '/attendance/results', payload)
interface PlanAnswer {
  sources: {
    source: string
    userDays: number
    cached: number
    toFetch: number
    plannedCalls: number
    plannedCallsAreEstimate: boolean
    estimatedSeconds: number
    budget: { limit: number; remaining: number; resetsAt: string } | null
  }[]
}
const plan = (app: App, payload: object) => post<PlanAnswer>(app, '/attendance/plan', payload)
const sourcesOf = async (app: App) =>
  (await app.inject('/sources')).json<{
    sources: {
      id: string
      usage: { month: string; dataCalls: number; tokenCalls: number }
      budget: unknown
    }[]
  }>().sources

t.test('the preview makes no call, and its Feishu count is what the query then makes', async (t) => {
  const simulators = await startSimulators(t, { feishu: fast, dingtalk: fast })
  const { app } = await startReplica(t, sourcesFor(simulators, { feishu: cached, dingtalk: cached }))
  const payload = {
    from: '2024-05-01',
    to: '2024-05-31',
    users: [...userList('feishu', 120), ...userList('dingtalk', 60)],
  }
  const before = await plan(app, payload)
  t.equal(
    simulators.feishu.counters().dataCalls + simulators.dingtalk.counters().dataCalls,
    0,
    'no data call',
  )
  t.equal(simulators.feishu.counters().tokenCalls + simulators.dingtalk.counters().tokenCalls, 0, 'no token')
  const [dingtalkPlan, feishuPlan] = before.sources
  t.match(feishuPlan, { source: 'feishu', userDays: 120 * 31, cached: 0, toFetch: 120 * 31, plannedCalls: 6 })
  t.equal(feishuPlan?.plannedCallsAreEstimate, false)
  t.equal(feishuPlan?.estimatedSeconds, 6 / 45, 'plannedCalls / rateLimitPerSecond (45 by default)')
  t.equal(dingtalkPlan?.plannedCallsAreEstimate, true)
  const answer = await results(app, payload)
  const calls = Object.fromEntries(answer.sources.map((report) => [report.source, report.vendorCalls]))
  t.equal(calls.feishu, 6, "Feishu made exactly the preview's calls")
  // DingTalk, estimated from the rows it has now returned: within one page a block of what it makes.
  const again = await plan(app, { ...payload, maxAge: 0 })
  const estimate = again.sources[0]?.plannedCalls ?? 0
  const blocks = 2 * 5 // 60 users: 2 chunks; 31 days: 5 windows of at most 7
  const fresh = await results(app, { ...payload, maxAge: 0 })
  const made = fresh.sources[0]?.vendorCalls ?? 0
  t.ok(Math.abs(estimate - made) <= blocks, `DingTalk estimate ${estimate}, made ${made} (± ${blocks})`)
  const warm = await plan(app, payload)
  t.match(warm.sources[1], { cached: 120 * 31, toFetch: 0, plannedCalls: 0 }, 'all cached: nothing to call')
})

t.test('a plan the budget cannot pay makes no call; /sources shows usage and budget', async (t) => {
  const simulators = await startSimulators(t, { feishu: fast, dingtalk: fast })
  const { app } = await startReplica(
    t,
    sourcesFor(simulators, { feishu: { ...cached, monthlyCallBudget: 2 }, dingtalk: cached }),
  )
  const payload = {
    from: '2024-05-01',
    to: '2024-05-10',
    users: [...userList('feishu', 120), ...userList('dingtalk', 5)],
  }
  const answer = await results(app, payload)
  const feishu = answer.sources.find((report) => report.source === 'feishu')
  t.equal(simulators.feishu.counters().dataCalls, 0, 'no Feishu call: the plan needs 3, 2 are left')
  t.equal(feishu?.status, 'error')
  t.equal(feishu?.error?.code, 'VENDOR_BUDGET_EXHAUSTED')
  t.match(feishu?.error?.message, /needs 3 data calls .* has 2 left/)
  t.same(
    feishu?.missing.map((part) => part.userIds.length),
    [50, 50, 20],
    'every block is listed missing',
  )
  t.equal(answer.sources.find((report) => report.source === 'dingtalk')?.status, 'ok', 'DingTalk unaffected')
  const sources = await sourcesOf(app)
  const month = workDateInZone(Date.now(), 'Asia/Shanghai').slice(0, 7)
  t.match(
    sources.find((source) => source.id === 'feishu'),
    {
      usage: { month, dataCalls: 0, tokenCalls: 0 },
      budget: { limit: 2, remaining: 2 },
    },
  )
  t.match(
    sources.find((source) => source.id === 'dingtalk'),
    { usage: { month, tokenCalls: 1 }, budget: null },
  )
  t.ok((sources.find((source) => source.id === 'dingtalk')?.usage.dataCalls ?? 0) >= 2)
})

t.test('pages past the budget stop the source mid-query, the rest listed missing', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: fast })
  const { app } = await startReplica(
    t,
    sourcesFor(simulators, { dingtalk: { ...cached, monthlyCallBudget: 3, maxConcurrency: 1 } }),
  )
  const users = userList('dingtalk', 50)
  // A Saturday with no rows teaches the estimate 0 rows a user-day, so the week's block looks like one page.
  t.equal(dingTalkRowsFor('u0000', '2024-05-04', {}).length, 0, 'no rows on 2024-05-04')
  await results(app, { from: '2024-05-04', to: '2024-05-04', users })
  simulators.dingtalk.resetCounters()
  const answer = await results(app, { from: '2024-05-06', to: '2024-05-10', users })
  const [report] = answer.sources
  t.equal(simulators.dingtalk.counters().dataCalls, 2, 'the 2 calls left of 3, then no more')
  t.equal(report?.vendorCalls, 2)
  t.equal(report?.error?.code, 'VENDOR_BUDGET_EXHAUSTED')
  t.same(report?.missing, [
    { userIds: users.map((ref) => ref.slice(9)), from: '2024-05-06', to: '2024-05-10' },
  ])
  t.equal(answer.results.length, 0, 'no day of a block whose pages did not all arrive')
})

t.test(
  "the vendor's monthly quota (90020): the source fails fast for the rest of the month, cache still served",
  async (t) => {
    const simulators = await startSimulators(t, { dingtalk: { ...fast, monthlyQuota: 3 } })
    const { app } = await startReplica(t, sourcesFor(simulators, { dingtalk: cached }))
    const week = { from: '2024-05-06', to: '2024-05-06', users: userList('dingtalk', 5) }
    const first = await results(app, week)
    t.equal(first.complete, true, 'one call, within the quota')
    const next = await results(app, { from: '2024-05-13', to: '2024-05-31', users: userList('dingtalk', 5) })
    t.equal(next.sources[0]?.error?.code, 'VENDOR_QUOTA_EXHAUSTED')
    t.equal(simulators.dingtalk.counters().quotaRefusals, 1, 'one call got 90020, and none after it')
    const callsSoFar = simulators.dingtalk.counters().dataCalls
    const later = await results(app, { from: '2024-06-03', to: '2024-06-04', users: userList('dingtalk', 5) })
    t.equal(simulators.dingtalk.counters().dataCalls, callsSoFar, 'a later query makes no call')
    t.equal(later.sources[0]?.error?.code, 'VENDOR_QUOTA_EXHAUSTED')
    const cachedAgain = await results(app, week)
    t.equal(cachedAgain.complete, true, 'what the cache holds is still served')
  },
)

t.test(
  "Feishu's monthly quota (HTTP 429 99991403): not retried, the source fails fast for the rest of the month, cache still served",
  async (t) => {
    const simulators = await startSimulators(t, { feishu: { ...fast, monthlyQuota: 1 } })
    const { app } = await startReplica(t, sourcesFor(simulators, { feishu: cached }))
    const users = userList('feishu', 5)
    const week = { from: '2024-05-06', to: '2024-05-10', users }
    const first = await results(app, week)
    t.equal(first.complete, true, 'one call, within the quota')
    t.equal(first.results.length, 5 * 5)

    const next = await results(app, { from: '2024-05-13', to: '2024-05-17', users })
    t.match(next.sources[0], {
      status: 'error',
      error: { code: 'VENDOR_QUOTA_EXHAUSTED', vendorCode: 99991403 },
      missing: [{ from: '2024-05-13', to: '2024-05-17' }],
    })
    t.equal(simulators.feishu.counters().quotaRefusals, 1, 'one call got 99991403, and was not retried')
    t.equal(simulators.feishu.counters().refusedRateLimit, 0)

    const callsSoFar = simulators.feishu.counters().dataCalls
    const later = await results(app, { from: '2024-05-20', to: '2024-05-24', users })
    t.equal(simulators.feishu.counters().dataCalls, callsSoFar, 'a later query makes no call')
    t.match(later.sources[0], {
      vendorCalls: 0,
      error: { code: 'VENDOR_QUOTA_EXHAUSTED', vendorCode: 99991403 },
    })
    const cachedAgain = await results(app, week)
    t.equal(cachedAgain.complete, true, 'what the cache holds is still served')
    t.same(cachedAgain.results, first.results)
    t.equal(simulators.feishu.counters().dataCalls, callsSoFar, 'from the cache, with no call')
  },
)

t.test('dates older than the retention are not asked for and are listed missing', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: { ...fast, retentionDays: 180 } })
  const { app } = await startReplica(t, sourcesFor(simulators, { dingtalk: { retentionDays: 180 } }))
  const today = parseWorkDate(workDateInZone(Date.now(), 'Asia/Shanghai')) as number
  const users = userList('dingtalk', 3)
  const from = formatWorkDate(today - 185)
  const to = formatWorkDate(today - 176)
  const answer = await results(app, { from, to, users })
  const [report] = answer.sources
  t.equal(answer.complete, false)
  t.equal(report?.status, 'partial')
  t.equal(report?.error?.code, 'VENDOR_RETENTION_EXCEEDED')
  t.same(report?.missing, [{ userIds: ['u0000', 'u0001', 'u0002'], from, to: formatWorkDate(today - 181) }])
  t.ok(
    answer.results.every((day) => day.workDate >= formatWorkDate(today - 180)),
    'no day before the limit',
  )
  t.ok(answer.results.length > 0, 'the days within it are there')
})

t.test('maxAge=0 sees a change made at the vendor; a default query is served the cached day', async (t) => {
  const simulators = await startSimulators(t, { dingtalk: fast })
  const { app } = await startReplica(t, sourcesFor(simulators, { dingtalk: cached }))
  const query = { from: '2024-05-06', to: '2024-05-06', users: ['dingtalk:u0001'] }
  const first = await results(app, query)
  const onDuty = () => first.results[0]?.segments[0]?.checkIn
  t.ok(onDuty(), 'the day has a check-in')
  simulators.dingtalk.setDay('u0001', '2024-05-06', { checks: { OnDuty: { timeResult: 'SeriousLate' } } })
  const cachedDay = await results(app, query)
  t.equal(cachedDay.results[0]?.segments[0]?.checkIn?.vendorResult, onDuty()?.vendorResult, 'still cached')
  const refreshed = await results(app, { ...query, maxAge: 0 })
  t.equal(refreshed.results[0]?.segments[0]?.checkIn?.result, 'serious_late', 'the change')
  const after = await results(app, query)
  t.equal(
    after.results[0]?.segments[0]?.checkIn?.result,
    'serious_late',
    'and the refresh is what is cached now',
  )
})
