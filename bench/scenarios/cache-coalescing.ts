// Two service processes on one Redis and one key prefix, the same large query sent to both at the same
// moment, both caches cold: while one fetches a block the other waits for it and reads its entries, so
// the vendors see the calls of one query.

import { Redis } from 'ioredis'
import {
  type CachedRun,
  type CallCounts,
  cachedRun,
  callCounts,
  callsBetween,
  deleteMatching,
  totalCalls,
} from '../lib/cache-queries.js'
import { dingTalkMinimumCalls, expectedDays, feishuMinimumCalls } from '../lib/plan-minimum.js'
import { type ServiceProcess, startService, startSimulators } from '../lib/processes.js'
import { warmUp } from '../lib/query.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { cachedSourcesEnv, freshPrefix, redisUrl } from '../lib/service-env.js'
import { configure, counters } from '../lib/simulator-admin.js'
import { fixed } from '../lib/stats.js'
import { AT_THE_LIMITS, DINGTALK_USERS, FEISHU_USERS, FROM, TO, VENDOR_LIMIT } from '../lib/workload.js'

const REPLICAS = 2

/** `oneQuery`: the data calls of the same query made alone, measured earlier in this run (cache-repeat). */
export async function cacheCoalescing(
  context: BenchContext,
  oneQuery: CallCounts | undefined,
): Promise<ScenarioReport> {
  const minimum = {
    feishu: feishuMinimumCalls(FEISHU_USERS, FROM, TO),
    dingtalk: dingTalkMinimumCalls(DINGTALK_USERS, FROM, TO),
  }
  const baseline = oneQuery ?? { ...minimum, tokens: 0, refused: 0 }
  const baselineSays = oneQuery
    ? 'the cold run of the warm-repeat scenario above, in this run'
    : 'the plan minimum (the warm-repeat scenario did not run; the large-query scenario shows a lone query makes exactly that many)'
  const expected = expectedDays(FEISHU_USERS, DINGTALK_USERS, FROM, TO)
  const prefix = freshPrefix()
  const redis = new Redis(redisUrl())
  const simulators = await startSimulators(context.workDir)
  const services: ServiceProcess[] = []
  let answers: CachedRun[]
  let together: CallCounts
  let wallS: number
  let waits: number[]
  let peaks: { feishu: number; dingtalk: number }
  try {
    await configure(simulators.feishuUrl, AT_THE_LIMITS.feishu)
    await configure(simulators.dingtalkUrl, AT_THE_LIMITS.dingtalk)
    const env = cachedSourcesEnv(simulators, prefix, context.workDir)
    services.push(
      ...(await Promise.all(Array.from({ length: REPLICAS }, () => startService(env, context.workDir)))),
    )
    await Promise.all(services.map((service) => warmUp(service.url)))
    const before = await callCounts(simulators)
    const started = performance.now()
    answers = await Promise.all(services.map((service) => cachedRun(service, simulators)))
    wallS = (performance.now() - started) / 1000
    together = callsBetween(before, await callCounts(simulators))
    waits = await Promise.all(services.map((service) => coalescedWaits(service.url)))
    const feishu = await counters(simulators.feishuUrl)
    const dingtalk = await counters(simulators.dingtalkUrl)
    peaks = { feishu: feishu.peakPerSecond, dingtalk: dingtalk.peakPerSecond }
  } finally {
    await Promise.all(services.map((service) => service.stop()))
    await simulators.stop()
    await deleteMatching(redis, `${prefix}*`)
    await redis.quit()
  }

  const reported = answers.map((answer) => answer.reportedCalls)
  const ratio = totalCalls(together) / totalCalls(baseline)
  const allComplete = answers.every(
    (answer) => answer.complete && answer.days === expected.feishu + expected.dingtalk,
  )
  const reportedAddUp = reported.reduce((a, b) => a + b, 0) === totalCalls(together)
  context.progress(
    `two replicas: ${totalCalls(together)} calls together (one query ${totalCalls(baseline)}), ${fixed(wallS)} s`,
  )

  const body = [
    `Two service processes (\`node dist/service/server.js\`) on one Redis with one key prefix, the result cache on as deployed, each warmed by a small query; then the large query (${FEISHU_USERS.length} Feishu + ${DINGTALK_USERS.length} DingTalk users × 31 days) sent to both at the same moment, both caches cold. Simulators at the vendors' limits with 50 ms latency. Calls are the simulators' counters over the window of both queries; one query's calls are ${baselineSays}. One run: the figure is a count, and the run takes as long as a cold large query.`,
    '',
    table(
      ['figure', 'two replicas at once', 'one query alone'],
      [
        [
          'data calls at the vendors, Feishu + DingTalk',
          `${together.feishu} + ${together.dingtalk} = **${totalCalls(together)}**`,
          `${baseline.feishu} + ${baseline.dingtalk} = ${totalCalls(baseline)} → **${fixed(ratio, 3)}×**`,
        ],
        [
          "each replica's own `vendorCalls` (answer)",
          reported.join(' + '),
          `adds up to the vendors' count: ${reportedAddUp ? 'yes' : '**no**'}`,
        ],
        [
          'cache hits each replica counted (user-days; waited for the other and read its entries)',
          answers.map((answer) => answer.hits).join(', '),
          '0',
        ],
        ['coalesced waits (`attendance_coalesced_waits_total`)', waits.join(', '), '0'],
        [
          'wall time until both answers are complete, s',
          fixed(wallS),
          `plan minimum at 20/s: ${fixed(minimum.dingtalk / VENDOR_LIMIT.dingtalk)} s`,
        ],
        [
          "each answer: days, and each source's status",
          answers.map((answer) => `${answer.days} days: ${answer.outcome}`).join('; '),
          `${expected.feishu + expected.dingtalk} days, ok`,
        ],
        [
          'longest event-loop stall in each replica, ms',
          answers.map((answer) => fixed(answer.lagMaxMs, 0)).join(', '),
          '',
        ],
        [
          'Redis taken for away by each replica (breaker openings, seconds open)',
          answers
            .map(
              (answer) => `${answer.storeOutages.count} (${fixed(answer.storeOutages.totalMs / 1000, 1)} s)`,
            )
            .join(', '),
          '0',
        ],
        [
          'rate-limit refusals (retried, within the calls above)',
          String(together.refused),
          String(baseline.refused),
        ],
        [
          'busiest sliding second at Feishu / DingTalk',
          `${peaks.feishu} / ${peaks.dingtalk}`,
          `limits ${VENDOR_LIMIT.feishu} / ${VENDOR_LIMIT.dingtalk}`,
        ],
      ],
    ),
    '',
    `Both answers complete with every expected day: ${allComplete ? 'yes' : '**no**'}.`,
    '',
    "One run is one sample of a race. The six runs made while this scenario was being written: 1.000× and 1.006× (3 Feishu blocks fetched twice) with no breaker opening; 1.17×, 1.26×, 1.37× and 1.43× on a busier machine (load average 4 to 10 on the 2 CPUs), each with one or both replicas' breakers open for about 5 s and up to 92 calls refused by the simulator; in the 1.43× run one answer was incomplete.",
    ...withHeading([
      ...coalescingNotes(together, baseline, answers),
      ...(allComplete
        ? []
        : [
            `- **An answer was incomplete** (${answers.map((answer) => `${answer.days} days: ${answer.outcome}`).join('; ')}).${answers.some((answer) => answer.outcome.includes('VENDOR_RATE_LIMITED')) ? ` Its missing parts are blocks whose calls the simulator kept refusing for its rate limit until the query's retry budget was spent: ${together.refused} refusals in all, from a replica pacing alone while its breaker was open, beside the other's shared schedule.` : ''}${answers.some((answer) => answer.complete && answer.days !== expected.feishu + expected.dingtalk) ? ' **An answer that says it is complete has fewer days than the simulators hold: silently short, a bug.**' : ' The answer says so (`complete: false`, the parts in `missing`); nothing was silently left out.'}`,
          ]),
    ]),
  ].join('\n')

  return {
    title: 'Result cache: two replicas, one query at once',
    body,
    targets: [
      {
        figure: 'coalescing: calls of two replicas at once / one query',
        value: `${fixed(ratio, 3)}× (${totalCalls(together)} / ${totalCalls(baseline)})`,
        target: '1.00×',
        met: totalCalls(together) <= totalCalls(baseline),
      },
      {
        figure: 'coalescing: both answers complete, every day present',
        value: allComplete ? 'yes' : 'no',
        target: 'yes',
        met: allComplete,
      },
    ],
  }
}

function coalescingNotes(together: CallCounts, baseline: CallCounts, answers: CachedRun[]): string[] {
  if (totalCalls(together) <= totalCalls(baseline)) return []
  const outages = answers.filter((answer) => answer.storeOutages.count > 0)
  const extra = (vendor: 'feishu' | 'dingtalk') => together[vendor] - baseline[vendor]
  const retries = together.refused - baseline.refused
  return [
    `- **${totalCalls(together) - totalCalls(baseline)} calls more than one query** (Feishu ${extra('feishu')} more than ${baseline.feishu}, DingTalk ${extra('dingtalk')} more than ${baseline.dingtalk}${retries > 0 ? `; ${retries} of them retries of calls the simulator refused` : ''}). A replica waits for a block only while the other holds its lease: \`runBlock\` (src/domain/attendance/run-source.ts) plans from the lookup made when the unit was planned, and once it takes the lease as owner it fetches without looking at the cache again, so a replica that reaches a block after the other has fetched it and released the lease fetches it a second time. A Feishu block is one call (a few hundred ms), often shorter than the lag between two replicas that started together: ${extra('feishu')} of the ${baseline.feishu} Feishu blocks were fetched twice. A DingTalk block is ${fixed(baseline.dingtalk / 50, 0)} pages or so, long enough for the other replica to find its lease taken, so a smaller share were.${outages.length > 0 ? ` Besides, ${outages.length} replica(s) took Redis for away during the query (${outages.map((answer) => `${answer.storeOutages.count}× for ${fixed(answer.storeOutages.totalMs / 1000, 1)} s, event loop stalled up to ${fixed(answer.lagMaxMs, 0)} ms`).join('; ')}): while the breaker is open, leases are taken in process memory, where the other replica cannot see them, and that replica paces its calls alone at 1/EXPECTED_REPLICAS of the limit beside the other's shared schedule${retries > 0 ? ', which is how the simulator came to refuse calls' : ''}.` : ''} What would close it: after taking the lease as owner, look the block's entries up again and skip the fetch when they are all there (fetched after the query started); and keep the service's synchronous stretches (decoding a unit, encoding a block) short enough that no Redis command waits past its timeout (see the lookup scenario).`,
  ]
}

function withHeading(notes: string[]): string[] {
  return notes.length > 0 ? ['', 'Targets missed, and why:', '', ...notes] : []
}

async function coalescedWaits(serviceUrl: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text()
  let total = 0
  for (const line of text.split('\n')) {
    if (line.startsWith('attendance_coalesced_waits_total')) total += Number(line.split(' ').at(-1))
  }
  return total
}
