// 1,000 users × 31 days, half on each vendor, through one service process against simulators at the
// vendors' limits: calls against the plan's minimum, wall time against DingTalk's floor (its calls at
// 20/s), the busiest sliding second at each vendor, refusals and the service's peak RSS.

import { memoryNote, pacingNotes } from '../lib/explain.js'
import { peakRssMiB } from '../lib/memory.js'
import { dingTalkMinimumCalls, expectedDays, feishuMinimumCalls } from '../lib/plan-minimum.js'
import { startService, startSimulators } from '../lib/processes.js'
import { postQuery, warmUp } from '../lib/query.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { defaultSourcesEnv, freshPrefix } from '../lib/service-env.js'
import { vendorCallStats } from '../lib/service-log.js'
import { configure, counters, resetCounters } from '../lib/simulator-admin.js'
import { fixed, median, medianOf } from '../lib/stats.js'
import {
  AT_THE_LIMITS,
  asRefs,
  DINGTALK_USERS,
  FEISHU_USERS,
  FROM,
  RUNS,
  TO,
  VENDOR_LIMIT,
} from '../lib/workload.js'

interface Run {
  wallS: number
  feishuCalls: number
  dingTalkCalls: number
  reportedCalls: number
  feishuPeak: number
  dingTalkPeak: number
  refusals: number
  tokenCalls: number
  rssMiB: number
  warmRssMiB: number
  /** DingTalk calls sent in the busiest second by the service's own clock, and how long calls took. */
  sentPeak: number
  callP99Ms: number
  callMaxMs: number
  days: number
  complete: boolean
}

export interface LargeQueryReport extends ScenarioReport {
  /** Median wall time, for the naive baseline's speed-up. */
  wallS: number
}

export async function largeQuery(context: BenchContext): Promise<LargeQueryReport> {
  const feishuMin = feishuMinimumCalls(FEISHU_USERS, FROM, TO)
  const dingTalkMin = dingTalkMinimumCalls(DINGTALK_USERS, FROM, TO)
  // DingTalk is the slower source: its plan at exactly 20 calls a second (the token is fetched by the
  // warm-up query before the measured one).
  const floorS = dingTalkMin / VENDOR_LIMIT.dingtalk
  const expected = expectedDays(FEISHU_USERS, DINGTALK_USERS, FROM, TO)
  const simulators = await startSimulators(context.workDir)
  const runs: Run[] = []
  try {
    await configure(simulators.feishuUrl, AT_THE_LIMITS.feishu)
    await configure(simulators.dingtalkUrl, AT_THE_LIMITS.dingtalk)
    for (let run = 1; run <= RUNS; run++) {
      const service = await startService(defaultSourcesEnv(simulators, freshPrefix()), context.workDir)
      try {
        await resetCounters(simulators.feishuUrl)
        await resetCounters(simulators.dingtalkUrl)
        await warmUp(service.url)
        const warmRssMiB = peakRssMiB(service.pid)
        const since = Date.now()
        const before = {
          feishu: await counters(simulators.feishuUrl),
          dingtalk: await counters(simulators.dingtalkUrl),
        }
        const answer = await postQuery(
          service.url,
          {
            from: FROM,
            to: TO,
            users: [...asRefs('feishu', FEISHU_USERS), ...asRefs('dingtalk', DINGTALK_USERS)],
          },
          { parse: false },
        )
        const feishu = await counters(simulators.feishuUrl)
        const dingtalk = await counters(simulators.dingtalkUrl)
        const calls = vendorCallStats([service.logPath], 'dingtalk', since)
        runs.push({
          warmRssMiB,
          sentPeak: calls.sentPeakPerSecond,
          callP99Ms: calls.p99Ms,
          callMaxMs: calls.maxMs,
          wallS: answer.totalMs / 1000,
          feishuCalls: feishu.dataCalls - before.feishu.dataCalls,
          dingTalkCalls: dingtalk.dataCalls - before.dingtalk.dataCalls,
          reportedCalls: answer.sources.reduce((sum, report) => sum + report.vendorCalls, 0),
          feishuPeak: feishu.peakPerSecond,
          dingTalkPeak: dingtalk.peakPerSecond,
          refusals: feishu.refusedRateLimit + dingtalk.refusedRateLimit,
          tokenCalls: feishu.tokenCalls + dingtalk.tokenCalls,
          rssMiB: peakRssMiB(service.pid),
          days: answer.days,
          complete: answer.status === 200 && answer.complete,
        })
        const last = runs.at(-1) as Run
        context.progress(
          `large query run ${run}: ${fixed(last.wallS)} s (floor ${fixed(floorS)} s), peaks ${last.feishuPeak}/${last.dingTalkPeak} per s, ${last.refusals} refused, ${fixed(last.rssMiB, 0)} MiB`,
        )
      } finally {
        await service.stop()
      }
    }
  } finally {
    await simulators.stop()
  }

  const of = (pick: (run: Run) => number) => runs.map(pick)
  const wallS = median(of((run) => run.wallS))
  const ratio = wallS / floorS
  const maxFeishuPeak = Math.max(...of((run) => run.feishuPeak))
  const maxDingTalkPeak = Math.max(...of((run) => run.dingTalkPeak))
  const refusals = of((run) => run.refusals).reduce((a, b) => a + b, 0)
  const rss = median(of((run) => run.rssMiB))
  const allComplete = runs.every((run) => run.complete && run.days === expected.feishu + expected.dingtalk)
  const callsRatio = median(of((run) => run.feishuCalls + run.dingTalkCalls)) / (feishuMin + dingTalkMin)
  // The plan is minimal when every call beyond it was the retry of a refused one.
  const planExact = runs.every(
    (run) => run.feishuCalls + run.dingTalkCalls - run.refusals === feishuMin + dingTalkMin,
  )
  const callsExact = runs.every(
    (run) =>
      run.feishuCalls === feishuMin &&
      run.dingTalkCalls === dingTalkMin &&
      run.reportedCalls === feishuMin + dingTalkMin,
  )

  const body = [
    `${FEISHU_USERS.length} Feishu + ${DINGTALK_USERS.length} DingTalk users, ${FROM}..${TO} (31 days), one POST to one service process (\`node dist/service/server.js\`, default settings: 45/s and 19/s, i.e. 90% and 95% of the vendors' limits; 10 calls in flight per source), timed from sending the request to the last byte of the answer. Simulators in processes of their own (one per vendor) at 50/s and 20/s per sliding second with 50 ms latency on every data call. Each run uses a fresh service process and Redis key prefix, warmed first by one small query (1 user per vendor, 1 day: JIT, serializers, vendor tokens) and a 1.1 s pause; data calls are counted for the measured query only, token calls and peaks over both. ${RUNS} runs; median (then every run).`,
    '',
    `Plan minimum, from the simulators' own data (\`dingTalkRowsFor\`): Feishu ${feishuMin} calls (10 chunks × 2 windows of 30 + 1 days); DingTalk ${dingTalkMin} calls (10 chunks × 5 windows of 7,7,7,7,3 days, ceil(rows / 50) pages each); plus one token call per app. Theoretical minimum wall time: ${dingTalkMin} DingTalk calls / 20 per s = **${fixed(floorS)} s**.`,
    '',
    table(
      ['figure', 'median (runs)', 'against'],
      [
        [
          'wall time, s',
          medianOf(of((run) => run.wallS)),
          `floor ${fixed(floorS)} s → **${fixed(ratio, 3)}×**`,
        ],
        [
          'Feishu data calls',
          medianOf(
            of((run) => run.feishuCalls),
            0,
          ),
          `plan minimum ${feishuMin}`,
        ],
        [
          'DingTalk data calls',
          medianOf(
            of((run) => run.dingTalkCalls),
            0,
          ),
          `plan minimum ${dingTalkMin}`,
        ],
        [
          'token calls (both apps)',
          medianOf(
            of((run) => run.tokenCalls),
            0,
          ),
          '2',
        ],
        [
          'busiest sliding second at Feishu',
          medianOf(
            of((run) => run.feishuPeak),
            0,
          ),
          `limit ${VENDOR_LIMIT.feishu} (service set to 45)`,
        ],
        [
          'busiest sliding second at DingTalk',
          medianOf(
            of((run) => run.dingTalkPeak),
            0,
          ),
          `limit ${VENDOR_LIMIT.dingtalk} (service set to 19)`,
        ],
        [
          'rate-limit refusals',
          medianOf(
            of((run) => run.refusals),
            0,
          ),
          '0',
        ],
        [
          'service peak RSS (VmHWM), MiB',
          medianOf(
            of((run) => run.rssMiB),
            0,
          ),
          '256',
        ],
        [
          '…of which before the query (started, warmed up), MiB',
          medianOf(
            of((run) => run.warmRssMiB),
            0,
          ),
          '',
        ],
        [
          'DingTalk calls sent in the busiest second, by the service clock (log)',
          medianOf(
            of((run) => run.sentPeak),
            0,
          ),
          'configured 19 per 1,030 ms',
        ],
        [
          'DingTalk call time p99 / max, ms (50 ms simulated)',
          `${medianOf(
            of((run) => run.callP99Ms),
            0,
          )} / ${medianOf(
            of((run) => run.callMaxMs),
            0,
          )}`,
          'on loopback, well above ~60 ms means CPU starvation',
        ],
        [
          'days in the answer',
          medianOf(
            of((run) => run.days),
            0,
          ),
          `${expected.feishu + expected.dingtalk} held by the simulators`,
        ],
      ],
    ),
    '',
    `Every run complete with every expected day: ${allComplete ? 'yes' : '**no**'}. Calls exactly the plan minimum (simulator counters and the answer's \`vendorCalls\`): ${callsExact ? 'yes' : planExact ? 'the plan yes; every call beyond it was the retry of a refused call' : '**no**'}.`,
    ...notesHeading([
      ...pacingNotes({
        ratio,
        target: 1.1,
        simulatorPeak: maxDingTalkPeak,
        sentPeak: Math.max(...of((run) => run.sentPeak)),
        limit: VENDOR_LIMIT.dingtalk,
        callP99Ms: median(of((run) => run.callP99Ms)),
        callMaxMs: Math.max(...of((run) => run.callMaxMs)),
        refusals,
        processes: 'the service, the two simulator processes, Redis and the benchmark process',
      }),
      ...memoryNote({ peakMiB: rss, warmMiB: median(of((run) => run.warmRssMiB)), limitMiB: 256 }),
    ]),
  ].join('\n')

  return {
    title: 'Large query against the limits',
    body,
    wallS,
    targets: [
      {
        figure: 'large query: wall time / theoretical minimum',
        value: `${fixed(ratio, 3)}×`,
        target: '≤ 1.10×',
        met: ratio <= 1.1,
      },
      {
        figure: 'large query: vendor calls / plan minimum',
        value: `${fixed(callsRatio, 3)}×${callsExact ? ' (every run exact)' : planExact ? ' (the plan exact; the rest are retries of refused calls)' : ''}`,
        target: '1.00×',
        met: callsExact || planExact,
      },
      {
        figure: 'large query: rate-limit refusals',
        value: String(refusals),
        target: '0',
        met: refusals === 0,
      },
      {
        figure: 'large query: busiest sliding second (max of runs)',
        value: `Feishu ${maxFeishuPeak}, DingTalk ${maxDingTalkPeak}`,
        target: `≤ ${VENDOR_LIMIT.feishu}, ≤ ${VENDOR_LIMIT.dingtalk}`,
        met: maxFeishuPeak <= VENDOR_LIMIT.feishu && maxDingTalkPeak <= VENDOR_LIMIT.dingtalk,
      },
      {
        figure: 'large query: service peak RSS',
        value: `${fixed(rss, 0)} MiB`,
        target: '< 256 MiB',
        met: rss < 256,
      },
      {
        figure: 'large query: complete, every day present',
        value: allComplete ? 'yes' : 'no',
        target: 'yes',
        met: allComplete,
      },
    ],
  }
}

function notesHeading(notes: string[]): string[] {
  return notes.length > 0 ? ['', 'Targets missed, and why:', '', ...notes] : []
}
