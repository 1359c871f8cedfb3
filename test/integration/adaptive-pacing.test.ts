// Adaptive pacing over real HTTP and real Redis: a tenant whose vendor limit is lower than configured (a
// smaller edition). Two replicas on one Redis query at once; the first refusals cut the shared rate for
// both, so the refusals stop after the first few instead of recurring every second, every answer is
// complete, and /sources and the metrics of both replicas show the rate in force.
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import type { LogCapture } from '../helpers/test-app.js'

const RATE_REFUSALS = new Set([90018, 99991400])

/** When (pino's epoch ms) each replica's vendor calls were answered with a refusal for rate. */
function refusalTimes(logs: LogCapture[]): number[] {
  return logs
    .flatMap((log) => log.records())
    .filter((line) => line.msg === 'vendor call' && RATE_REFUSALS.has(line.vendorCode as number))
    .map((line) => line.time as number)
    .sort((a, b) => a - b)
}

/** The last cut of the source's rate either replica logged: the rate it left, and when. */
function lastCut(logs: LogCapture[], source: string): { rateInForce: number; time: number } | undefined {
  const cuts = logs
    .flatMap((log) => log.records())
    .filter((line) => line.source === source && typeof line.pacedAt === 'number')
    .map((line) => ({ rateInForce: line.rateInForce as number, time: line.time as number }))
    .sort((a, b) => a.time - b.time)
  return cuts.at(-1)
}

t.test('a vendor limit below the configured rate is found by both replicas at once', async (t) => {
  // The vendors allow 4 a second; the sources are configured for 10, as if the edition were larger.
  const simulators = await startSimulators(t, {
    feishu: { rateLimitPerSecond: 4, latencyMs: 20 },
    dingtalk: { rateLimitPerSecond: 4, latencyMs: 20 },
  })
  const sources = sourcesFor(simulators, {
    feishu: { rateLimitPerSecond: 10 },
    dingtalk: { rateLimitPerSecond: 10 },
  })
  const prefix = uniquePrefix()
  const replicas = await Promise.all([0, 1].map(() => startReplica(t, sources, { redisKeyPrefix: prefix })))
  // Per replica: Feishu 750 users × 7 days = 15 calls; DingTalk 50 users × 7 days = 1 chunk of 7 pages.
  const started = Date.now()
  const answers = await Promise.all(
    replicas.map(({ app }, index) =>
      app.inject({
        method: 'POST',
        url: '/attendance/results',
        payload: {
          from: '2024-05-06',
          to: '2024-05-12',
          users: [...userList('feishu', 750, `r${index}-`), ...userList('dingtalk', 50, `r${index}-`)],
        },
      }),
    ),
  )
  const tookS = (Date.now() - started) / 1000
  for (const answer of answers) {
    const body = answer.json<AttendanceResponse>()
    t.equal(body.complete, true, 'refusals were retried to a complete answer')
    t.equal(body.results.length, 800 * 5, '800 users × 5 weekdays')
  }

  const refused = {
    feishu: simulators.feishu.counters().refusedRateLimit,
    dingtalk: simulators.dingtalk.counters().refusedRateLimit,
  }
  const calls = {
    feishu: simulators.feishu.counters().dataCalls,
    dingtalk: simulators.dingtalk.counters().dataCalls,
  }
  t.ok(
    refused.feishu > 0 && refused.dingtalk > 0,
    `both vendors refused some calls (${JSON.stringify(refused)})`,
  )
  // The calls already sent or queued at 10 a second when the first refusal comes back cannot be recalled:
  // each replica has up to maxConcurrency of them. Without adaptation, more than half of the calls of every
  // second would be refused for as long as the query runs.
  const inFlight = 2 * (sources[0]?.maxConcurrency ?? 0)
  for (const vendor of ['feishu', 'dingtalk'] as const) {
    t.ok(
      refused[vendor] <= inFlight,
      `${vendor}: ${refused[vendor]} of ${calls[vendor]} calls refused, no more than were in flight (${inFlight})`,
    )
  }
  // Once the rate is found, a refusal comes back only when the slow climb probes above the vendor's limit
  // again (from 3.5 to 5 a second takes 7.5 s here): refusals in a few of the query's seconds, not in
  // every one of them.
  const times = refusalTimes(replicas.map(({ logs }) => logs))
  const firstSecond = Math.floor((times[0] ?? started) / 1000)
  const seconds = [...new Set(times.map((time) => Math.floor(time / 1000) - firstSecond))]
  t.ok(
    seconds.length <= Math.max(3, tookS / 3),
    `refusals in ${seconds.length} of the query's ${tookS.toFixed(1)} s (seconds ${seconds.join(', ')} after the first)`,
  )

  for (const { app } of replicas) {
    const listed = (await app.inject({ method: 'GET', url: '/sources' })).json<{
      sources: { id: string; rateLimitPerSecond: number; rateInForce: number }[]
    }>().sources
    for (const source of listed) {
      t.equal(source.rateLimitPerSecond, 10, `${source.id}: configured 10`)
      // The rate the last cut of either replica left, climbed since by 2% of 10 a second (within 1 s of climb:
      // the cut's log line is written a moment after Redis made it).
      const cut = lastCut(
        replicas.map(({ logs }) => logs),
        source.id,
      )
      const expected = cut ? cut.rateInForce + (0.2 * (Date.now() - cut.time)) / 1000 : 10
      t.ok(
        cut && Math.abs(source.rateInForce - expected) < 0.2 && source.rateInForce < 10,
        `${source.id}: each replica shows the shared rate in force, ${source.rateInForce.toFixed(2)}/s (the last cut, climbed since: ${expected.toFixed(2)})`,
      )
    }
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    const gauge = /attendance_vendor_rate_in_force\{source="dingtalk"\} ([\d.]+)/.exec(metrics)
    t.ok(gauge && Number(gauge[1]) < 10, `the metric shows the rate in force (${gauge?.[1]})`)
  }
})
