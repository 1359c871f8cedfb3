// Pacing under a starved CPU (issue 14): the large query's workload, smaller (300 Feishu + 300 DingTalk
// users × 31 days, so that a run takes 15–25 s), through one service process and through three (the
// users in thirds, as replicas.ts), while a CPU-bound neighbour spins on every core (cpu-hog.ts, default
// nice, started after the warm-up and killed after the query). The simulators must still see at most the
// vendor's limit in any sliding second.
//
// Every process is traced (trace-preload.mjs): the service's socket writes, the simulators' arrivals and
// every event-loop stall, so that each run says whether the service sent in bursts or the simulator
// stamped calls that came spread out with one late time. The simulators run shielded from the hog (see
// simulatorNice; STARVED_SIMULATOR_NICE=off or =<nice> changes it). Knobs for the diagnosis, off by
// default: STARVED_SERVICE_NICE=-10 runs the services at that nice (every thread), STARVED_CPU_PROFILE=1
// runs every process with --cpu-prof and reports the services' longest JavaScript stretches.
import { mkdirSync, readdirSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { summarizeTrace, TRACE_PRELOAD, type TraceSummary } from '../lib/call-trace.js'
import { startCpuHog } from '../lib/cpu-hog.js'
import { longTasks, type MonotonicWindow } from '../lib/cpu-profile.js'
import { dingTalkMinimumCalls, userIds } from '../lib/plan-minimum.js'
import { type ServiceProcess, startService, startSimulators } from '../lib/processes.js'
import { postQuery, warmUp } from '../lib/query.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { defaultSourcesEnv, freshPrefix } from '../lib/service-env.js'
import { eventLoopLagMaxMs } from '../lib/service-health.js'
import { vendorCallStats } from '../lib/service-log.js'
import { configure, counters, resetCounters } from '../lib/simulator-admin.js'
import { fixed } from '../lib/stats.js'
import { AT_THE_LIMITS, FROM, RUNS, replicaQuery, splitAmong, TO, VENDOR_LIMIT } from '../lib/workload.js'

const FEISHU_USERS = userIds('f', 300)
const DINGTALK_USERS = userIds('d', 300)

interface Run {
  replicas: number
  run: number
  wallS: number
  load: number
  dingTalkPeak: number
  feishuPeak: number
  refusals: number
  /** By the services' logs: when each DingTalk call was handed to the HTTP client. */
  loggedSentPeak: number
  callP99Ms: number
  callMaxMs: number
  /** prom-client's nodejs_eventloop_lag_max_seconds over the query, the largest of the replicas. */
  serviceLagMaxMs: number
  trace: TraceSummary
  /** The query on the monotonic clock, for the CPU profiles. */
  window: MonotonicWindow
  complete: boolean
}

export async function starvedCpu(context: BenchContext): Promise<ScenarioReport> {
  const traceDir = join(context.workDir, `trace-${Date.now()}`)
  mkdirSync(traceDir, { recursive: true })
  const profileDir = process.env.STARVED_CPU_PROFILE ? join(traceDir, 'cpu-prof') : undefined
  const shieldedNice = simulatorNice()
  const serviceNice = Number(process.env.STARVED_SERVICE_NICE ?? 0)
  const simulators = await startSimulators(context.workDir, {
    nodeArgs: [
      '--import',
      TRACE_PRELOAD,
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', `${profileDir}-simulators`] : []),
    ],
    env: { BENCH_TRACE_DIR: traceDir, BENCH_TRACE_ROLE: 'simulator' },
    shieldedNice,
  })
  const runs: Run[] = []
  try {
    await configure(simulators.feishuUrl, AT_THE_LIMITS.feishu)
    await configure(simulators.dingtalkUrl, AT_THE_LIMITS.dingtalk)
    for (const replicas of [1, 3]) {
      for (let run = 1; run <= RUNS; run++) {
        const measured = await measure(context, simulators, replicas, {
          traceDir,
          profileDir,
          serviceNice,
        })
        runs.push({ ...measured, replicas, run })
        context.progress(
          `starved CPU, ${replicas} replica(s), run ${run}: ${fixed(measured.wallS)} s, DingTalk peak ${measured.dingTalkPeak} (socket writes ${measured.trace.dingtalk.writePeak}), ${measured.refusals} refused, lag p99 ${fixed(measured.trace.dingtalk.lagMs.p99, 0)} ms, load ${fixed(measured.load)}`,
        )
      }
    }
  } finally {
    await simulators.stop()
  }
  return report(runs, { shieldedNice, serviceNice, profileDir })
}

async function measure(
  context: BenchContext,
  simulators: Awaited<ReturnType<typeof startSimulators>>,
  replicas: number,
  dirs: { traceDir: string; profileDir: string | undefined; serviceNice: number },
): Promise<Omit<Run, 'replicas' | 'run'>> {
  const prefix = freshPrefix()
  const nodeArgs = ['--import', TRACE_PRELOAD]
  if (dirs.profileDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dirs.profileDir)
  const env = {
    ...defaultSourcesEnv(simulators, prefix),
    BENCH_TRACE_DIR: dirs.traceDir,
    BENCH_TRACE_ROLE: 'service',
  }
  const services: ServiceProcess[] = []
  const feishuParts = splitAmong(FEISHU_USERS, replicas)
  const dingTalkParts = splitAmong(DINGTALK_USERS, replicas)
  try {
    services.push(
      ...(await Promise.all(
        Array.from({ length: replicas }, () => startService(env, context.workDir, nodeArgs)),
      )),
    )
    if (dirs.serviceNice !== 0) for (const service of services) renice(service.pid, dirs.serviceNice)
    await resetCounters(simulators.feishuUrl)
    await resetCounters(simulators.dingtalkUrl)
    await Promise.all(services.map((service) => warmUp(service.url)))
    // Scraping resets the event-loop figures: what the next scrape reads is the query's.
    await Promise.all(services.map((service) => eventLoopLagMaxMs(service.url)))
    const hog = await startCpuHog()
    let answers: Awaited<ReturnType<typeof postQuery>>[]
    const since = Date.now()
    const started = performance.now()
    const fromUs = monotonicUs()
    try {
      answers = await Promise.all(
        services.map((service, index) =>
          postQuery(service.url, replicaQuery(feishuParts, dingTalkParts, index), { parse: false }),
        ),
      )
    } finally {
      await hog.stop()
    }
    const wallS = (performance.now() - started) / 1000
    const until = Date.now()
    const window = { fromUs, toUs: monotonicUs() }
    const load = os.loadavg()[0] ?? Number.NaN
    const feishu = await counters(simulators.feishuUrl)
    const dingtalk = await counters(simulators.dingtalkUrl)
    const lags = await Promise.all(services.map((service) => eventLoopLagMaxMs(service.url)))
    const calls = vendorCallStats(
      services.map((service) => service.logPath),
      'dingtalk',
      since,
    )
    // The preloads write every 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const trace = summarizeTrace(
      dirs.traceDir,
      { from: since, to: until },
      { dingtalk: simulators.dingtalkPid, feishu: simulators.feishuPid },
    )
    return {
      wallS,
      load,
      dingTalkPeak: dingtalk.peakPerSecond,
      feishuPeak: feishu.peakPerSecond,
      refusals: feishu.refusedRateLimit + dingtalk.refusedRateLimit,
      loggedSentPeak: calls.sentPeakPerSecond,
      callP99Ms: calls.p99Ms,
      callMaxMs: calls.maxMs,
      serviceLagMaxMs: Math.max(...lags),
      trace,
      window,
      complete: answers.every((answer) => answer.status === 200 && answer.complete),
    }
  } finally {
    await Promise.all(services.map((service) => service.stop()))
  }
}

/**
 * The simulators stand for the vendors' servers, which do not share the service's CPUs: by default they run
 * shielded from the CPU hog (a session of their own at nice -10, as root), so that a starved simulator does
 * not stamp calls late and together. STARVED_SIMULATOR_NICE=off runs them as the other scenarios do.
 */
function simulatorNice(): number | undefined {
  const setting = process.env.STARVED_SIMULATOR_NICE
  if (setting === 'off') return undefined
  if (setting !== undefined) return Number(setting)
  return process.getuid?.() === 0 ? -10 : undefined
}

/** Why the services' writes bunched, from the figures of every run, when some run wrote a burst. */
function burstNote(runs: readonly Run[]): string[] {
  const bursts = runs.filter((run) => run.trace.dingtalk.writePeak > VENDOR_LIMIT.dingtalk)
  if (bursts.length === 0) return []
  const calls = runs.reduce((sum, run) => sum + run.trace.dingtalk.calls, 0)
  const late = runs.reduce((sum, run) => sum + run.trace.dingtalk.writtenLate, 0)
  const fresh = runs.reduce((sum, run) => sum + run.trace.dingtalk.lateOnFreshSocket, 0)
  const early = runs.reduce((sum, run) => sum + run.trace.dingtalk.lateInFirstTwoSeconds, 0)
  const feishuDoneS = Math.max(...runs.map((run) => run.trace.feishu.lastWriteS))
  const admittedPeak = Math.max(...runs.map((run) => run.trace.dingtalk.admittedPeak))
  return [
    '',
    `The limiter admitted at most ${admittedPeak} DingTalk calls in any second (its Redis admissions, in every run): the shared schedule held. ${late} of ${calls} DingTalk calls (${fixed((late / calls) * 100, 1)}%) reached their socket more than the 30 ms safety window after their admission was asked for (${fresh} of them on a connection still being opened; ${early} in the query's first 2 s, when the Feishu answers, all asked for within ${fixed(feishuDoneS, 1)} s, are parsed, normalized and encoded on the same event loop). The service checks that age at the socket write and paces a stale call again unsent (attendance_rate_limit_stale_permits_total), so a burst that still shows here came after that check: the write itself, or the kernel.`,
  ]
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/** Sets the nice of every thread of `pid` (on Linux a thread's priority is its own). */
function renice(pid: number, nice: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) os.setPriority(Number(tid), nice)
}

function report(
  runs: readonly Run[],
  options: { shieldedNice: number | undefined; serviceNice: number; profileDir: string | undefined },
): ScenarioReport {
  const label = (run: Run) =>
    `${run.replicas === 1 ? '1 replica' : `${run.replicas} replicas`}, run ${run.run}`
  const ms = (value: number) => fixed(value, 0)
  const maxDingTalkPeak = Math.max(...runs.map((run) => run.dingTalkPeak))
  const maxFeishuPeak = Math.max(...runs.map((run) => run.feishuPeak))
  const refusals = runs.reduce((sum, run) => sum + run.refusals, 0)
  const allComplete = runs.every((run) => run.complete)
  const floorS = (replicas: number) =>
    splitAmong(DINGTALK_USERS, replicas).reduce(
      (sum, part) => sum + dingTalkMinimumCalls(part, FROM, TO),
      0,
    ) / VENDOR_LIMIT.dingtalk

  const atTheSimulators = table(
    [
      'run',
      'wall, s (floor)',
      'busiest second at DingTalk / Feishu (simulator counters)',
      'refusals',
      "DingTalk busiest second: handed to got (services' logs) / admitted (Redis) / written to the socket / seen by the simulator's JavaScript (traces)",
      'DingTalk call time p99 / max, ms',
      'load (1 min) after',
    ],
    runs.map((run) => [
      label(run),
      `${fixed(run.wallS, 1)} (${fixed(floorS(run.replicas), 1)})`,
      `${run.dingTalkPeak} / ${run.feishuPeak}`,
      String(run.refusals),
      `${run.loggedSentPeak} / ${run.trace.dingtalk.admittedPeak} / ${run.trace.dingtalk.writePeak} / ${run.trace.dingtalk.arrivalPeak}`,
      `${ms(run.callP99Ms)} / ${ms(run.callMaxMs)}`,
      fixed(run.load),
    ]),
  )
  const whereTheTimeWent = table(
    [
      'run',
      'DingTalk: simulator arrival − socket write, p50 / p99 / max, ms',
      'admission asked → socket write, p99 / max, ms (calls > 30 ms)',
      "busiest arrival second: its calls' writes spanned, ms (max lag)",
      'Feishu: arrival − write p99 / max, ms',
      'event-loop stall max, ms: service (prom-client) / DingTalk sim / Feishu sim',
      "DingTalk sim's longest stall: its slice, CPU used / waited for a CPU / stolen, ms",
    ],
    runs.map((run) => {
      const d = run.trace.dingtalk
      const f = run.trace.feishu
      const worst = run.trace.dingtalkSimulatorWorst
      return [
        label(run),
        `${fixed(d.lagMs.p50, 1)} / ${ms(d.lagMs.p99)} / ${ms(d.lagMs.max)}`,
        `${ms(d.admittedToWriteMs.p99)} / ${ms(d.admittedToWriteMs.max)} (${d.writtenLate} of ${d.calls}, ${d.lateOnFreshSocket} on a new connection)`,
        `${ms(d.peakWindowWriteSpanMs)} (${ms(d.peakWindowMaxLagMs)})`,
        `${ms(f.lagMs.p99)} / ${ms(f.lagMs.max)}`,
        `${ms(run.serviceLagMaxMs)} / ${ms(run.trace.loopMaxMs.dingtalkSimulator)} / ${ms(run.trace.loopMaxMs.feishuSimulator)}`,
        worst
          ? `${ms(worst.to - worst.from)} long: ${ms(worst.cpuMs)} / ${ms(worst.waitMs)} / ${ms(worst.stealMs)}`
          : 'n/a',
      ]
    }),
  )
  const over = runs.filter((run) => run.dingTalkPeak > VENDOR_LIMIT.dingtalk)
  const verdicts = over.map((run) => {
    const d = run.trace.dingtalk
    return d.writePeak > VENDOR_LIMIT.dingtalk
      ? `- ${label(run)}: the services wrote ${d.writePeak} DingTalk calls to their sockets in one second (the simulator counted ${run.dingTalkPeak}): the service sent a burst. Their limiter admitted at most ${d.admittedPeak} in any second, and ${d.writtenLate} calls reached the socket more than the 30 ms safety window after their admission was asked for (up to ${ms(d.admittedToWriteMs.max)} ms).`
      : `- ${label(run)}: at most ${d.writePeak} DingTalk calls were written to the sockets in any second, but the ${run.dingTalkPeak} calls the simulator counted in one second had been written over ${ms(d.peakWindowWriteSpanMs)} ms (reaching its JavaScript up to ${ms(d.peakWindowMaxLagMs)} ms after the write): the calls left spread out and were stamped together.`
  })
  const profile = options.profileDir
    ? longTasks(
        options.profileDir,
        runs.map((run) => run.window),
      )
    : undefined

  const body = [
    `${FEISHU_USERS.length} Feishu + ${DINGTALK_USERS.length} DingTalk users, ${FROM}..${TO} (31 days): the large query's workload at three fifths, through one service process, then split in thirds over three processes on one Redis key prefix (as "Three replicas on one Redis"), default settings (45/s and 19/s). Simulators at 50/s and 20/s per sliding second with 50 ms latency, one process per vendor${options.shieldedNice !== undefined ? `, each shielded from the CPU hog in a session of its own at nice ${options.shieldedNice} (process and autogroup; they stand for the vendors' servers, which do not share the service's CPUs)` : ', **not shielded from the CPU hog** (STARVED_SIMULATOR_NICE=off: they compete for the CPUs like any process)'}${options.serviceNice !== 0 ? `; **the services at nice ${options.serviceNice}** (STARVED_SERVICE_NICE)` : ''}. After the warm-up, a CPU-bound process per core (${os.availableParallelism()}, a busy loop at the default nice) is started; it is killed when the last answer has arrived. ${RUNS} runs each, fresh service processes and prefix every run; every run is shown.`,
    '',
    `Every process carries a trace preload (bench/lib/trace-preload.mjs): in the services, the moment each vendor call's bytes were written to its socket and the limiter's Redis admission of it; in the simulators, the moment each call reached their JavaScript (the tick in which they stamp it against the limit); in all of them the event-loop stalls. Joined per call by a header the preload adds.`,
    '',
    atTheSimulators,
    '',
    whereTheTimeWent,
    '',
    `Every answer complete: ${allComplete ? 'yes' : '**no**'}.`,
    ...(verdicts.length > 0
      ? [
          '',
          `Runs over DingTalk's limit of ${VENDOR_LIMIT.dingtalk}, and where the excess came from:`,
          '',
          ...verdicts,
          ...burstNote(runs),
        ]
      : []),
    ...(profile ? ['', profile] : []),
  ].join('\n')

  return {
    title: 'Pacing under a starved CPU',
    body,
    targets: [
      {
        figure: 'starved CPU: busiest sliding second at DingTalk (max of runs)',
        value: `${maxDingTalkPeak} (Feishu ${maxFeishuPeak})`,
        target: `≤ ${VENDOR_LIMIT.dingtalk}`,
        met: maxDingTalkPeak <= VENDOR_LIMIT.dingtalk,
      },
      {
        figure: 'starved CPU: rate-limit refusals',
        value: String(refusals),
        target: '0',
        met: refusals === 0,
      },
    ],
  }
}
