// The large query split across three service processes on one Redis (each vendor's users in thirds, the
// three queries sent at once): the vendors must see the fleet as one client at the limit, with one token
// fetch per app.

import { pacingNotes } from '../lib/explain.js'
import { peakRssMiB } from '../lib/memory.js'
import { dingTalkMinimumCalls, feishuMinimumCalls } from '../lib/plan-minimum.js'
import { type ServiceProcess, startService, startSimulators } from '../lib/processes.js'
import { postQuery, warmUp } from '../lib/query.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { defaultSourcesEnv, freshPrefix } from '../lib/service-env.js'
import { vendorCallStats } from '../lib/service-log.js'
import { configure, counters, resetCounters } from '../lib/simulator-admin.js'
import { fixed, median, medianOf } from '../lib/stats.js'
import {
  AT_THE_LIMITS,
  DINGTALK_USERS,
  FEISHU_USERS,
  FROM,
  RUNS,
  replicaQuery,
  splitAmong,
  TO,
  VENDOR_LIMIT,
} from '../lib/workload.js'

const REPLICAS = 3

interface Run {
  wallS: number
  feishuPeak: number
  dingTalkPeak: number
  feishuTokens: number
  dingTalkTokens: number
  refusals: number
  dataCalls: number
  maxRssMiB: number
  sentPeak: number
  callP99Ms: number
  callMaxMs: number
  complete: boolean
}

export async function replicas(context: BenchContext): Promise<ScenarioReport> {
  const feishuParts = splitAmong(FEISHU_USERS, REPLICAS)
  const dingTalkParts = splitAmong(DINGTALK_USERS, REPLICAS)
  const feishuMin = feishuParts.reduce((sum, part) => sum + feishuMinimumCalls(part, FROM, TO), 0)
  const dingTalkMin = dingTalkParts.reduce((sum, part) => sum + dingTalkMinimumCalls(part, FROM, TO), 0)
  const floorS = dingTalkMin / VENDOR_LIMIT.dingtalk
  const simulators = await startSimulators(context.workDir)
  const runs: Run[] = []
  try {
    await configure(simulators.feishuUrl, AT_THE_LIMITS.feishu)
    await configure(simulators.dingtalkUrl, AT_THE_LIMITS.dingtalk)
    for (let run = 1; run <= RUNS; run++) {
      const prefix = freshPrefix()
      const services: ServiceProcess[] = []
      try {
        services.push(
          ...(await Promise.all(
            Array.from({ length: REPLICAS }, () =>
              startService(defaultSourcesEnv(simulators, prefix), context.workDir),
            ),
          )),
        )
        await resetCounters(simulators.feishuUrl)
        await resetCounters(simulators.dingtalkUrl)
        // At once: the three fresh replicas also race for the vendor tokens here.
        await Promise.all(services.map((service) => warmUp(service.url)))
        const before =
          (await counters(simulators.feishuUrl)).dataCalls +
          (await counters(simulators.dingtalkUrl)).dataCalls
        const since = Date.now()
        const started = performance.now()
        const answers = await Promise.all(
          services.map((service, index) =>
            postQuery(service.url, replicaQuery(feishuParts, dingTalkParts, index), { parse: false }),
          ),
        )
        const wallS = (performance.now() - started) / 1000
        const feishu = await counters(simulators.feishuUrl)
        const dingtalk = await counters(simulators.dingtalkUrl)
        const calls = vendorCallStats(
          services.map((service) => service.logPath),
          'dingtalk',
          since,
        )
        runs.push({
          sentPeak: calls.sentPeakPerSecond,
          callP99Ms: calls.p99Ms,
          callMaxMs: calls.maxMs,
          wallS,
          feishuPeak: feishu.peakPerSecond,
          dingTalkPeak: dingtalk.peakPerSecond,
          feishuTokens: feishu.tokenCalls,
          dingTalkTokens: dingtalk.tokenCalls,
          refusals: feishu.refusedRateLimit + dingtalk.refusedRateLimit,
          dataCalls: feishu.dataCalls + dingtalk.dataCalls - before,
          maxRssMiB: Math.max(...services.map((service) => peakRssMiB(service.pid))),
          complete: answers.every((answer) => answer.status === 200 && answer.complete),
        })
        const last = runs.at(-1) as Run
        context.progress(
          `three replicas run ${run}: ${fixed(wallS)} s (floor ${fixed(floorS)} s), peaks ${last.feishuPeak}/${last.dingTalkPeak} per s, tokens ${last.feishuTokens}/${last.dingTalkTokens}, ${last.refusals} refused`,
        )
      } finally {
        await Promise.all(services.map((service) => service.stop()))
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
  const oneTokenEach = runs.every((run) => run.feishuTokens === 1 && run.dingTalkTokens === 1)
  const refusals = of((run) => run.refusals).reduce((a, b) => a + b, 0)
  const allComplete = runs.every((run) => run.complete)

  const body = [
    `The large query's users split in thirds per vendor (Feishu ${feishuParts.map((part) => part.length).join('/')}, DingTalk ${dingTalkParts.map((part) => part.length).join('/')}), one third to each of three service processes sharing one Redis key prefix; all three started, warmed at once (a small query each, which is also when the three race for the vendor tokens), then the three queries sent at once and timed to the last byte of the last answer. Same simulators and settings as above. ${RUNS} runs, fresh processes and prefix each.`,
    '',
    `Splitting costs calls: each replica's last DingTalk chunk is partial, so the three plans together need ${dingTalkMin} DingTalk calls (one query: ${dingTalkMinimumCalls(DINGTALK_USERS, FROM, TO)}) and ${feishuMin} Feishu calls. Theoretical minimum wall time: ${dingTalkMin} / 20 per s = **${fixed(floorS)} s**.`,
    '',
    table(
      ['figure', 'median (runs)', 'against'],
      [
        [
          'wall time (last answer), s',
          medianOf(of((run) => run.wallS)),
          `floor ${fixed(floorS)} s → **${fixed(ratio, 3)}×**`,
        ],
        [
          'busiest sliding second at Feishu, all replicas',
          medianOf(
            of((run) => run.feishuPeak),
            0,
          ),
          `limit ${VENDOR_LIMIT.feishu}`,
        ],
        [
          'busiest sliding second at DingTalk, all replicas',
          medianOf(
            of((run) => run.dingTalkPeak),
            0,
          ),
          `limit ${VENDOR_LIMIT.dingtalk}`,
        ],
        [
          'Feishu token calls',
          medianOf(
            of((run) => run.feishuTokens),
            0,
          ),
          '1',
        ],
        [
          'DingTalk token calls',
          medianOf(
            of((run) => run.dingTalkTokens),
            0,
          ),
          '1',
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
          'data calls, both vendors',
          medianOf(
            of((run) => run.dataCalls),
            0,
          ),
          `plan minimum ${feishuMin + dingTalkMin}`,
        ],
        [
          'largest replica peak RSS, MiB',
          medianOf(
            of((run) => run.maxRssMiB),
            0,
          ),
          '',
        ],
        [
          'DingTalk calls sent in the busiest second, all replicas, by their clocks (logs)',
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
      ],
    ),
    '',
    `Every answer complete: ${allComplete ? 'yes' : '**no**'}.`,
    ...((notes) => (notes.length > 0 ? ['', 'Targets missed, and why:', '', ...notes] : []))(
      pacingNotes({
        ratio,
        target: 1.2,
        simulatorPeak: maxDingTalkPeak,
        sentPeak: Math.max(...of((run) => run.sentPeak)),
        limit: VENDOR_LIMIT.dingtalk,
        callP99Ms: median(of((run) => run.callP99Ms)),
        callMaxMs: Math.max(...of((run) => run.callMaxMs)),
        refusals,
        processes: 'three replicas, the two simulator processes, Redis and the benchmark process',
      }),
    ),
  ].join('\n')

  return {
    title: 'Three replicas on one Redis',
    body,
    targets: [
      {
        figure: 'three replicas: wall time / theoretical minimum',
        value: `${fixed(ratio, 3)}×`,
        target: '≤ 1.2×',
        met: ratio <= 1.2,
      },
      {
        figure: 'three replicas: busiest sliding second, sum of replicas (max of runs)',
        value: `Feishu ${maxFeishuPeak}, DingTalk ${maxDingTalkPeak}`,
        target: `≤ ${VENDOR_LIMIT.feishu}, ≤ ${VENDOR_LIMIT.dingtalk}`,
        met: maxFeishuPeak <= VENDOR_LIMIT.feishu && maxDingTalkPeak <= VENDOR_LIMIT.dingtalk,
      },
      {
        figure: 'three replicas: token fetches per app',
        value: oneTokenEach ? '1 and 1 every run' : 'more',
        target: '1 per app',
        met: oneTokenEach,
      },
      {
        figure: 'three replicas: rate-limit refusals',
        value: String(refusals),
        target: '0',
        met: refusals === 0,
      },
      {
        figure: 'three replicas: every answer complete',
        value: allComplete ? 'yes' : 'no',
        target: 'yes',
        met: allComplete,
      },
    ],
  }
}
