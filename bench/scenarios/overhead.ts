// What the service adds to one small query: autocannon at the service (5 users × 7 days, one vendor call
// per request) against autocannon at a thin proxy (bench/lib/thin-proxy.ts: a minimal Fastify route that
// makes the same vendor call through got and answers the vendor's JSON), and at the simulator's data
// endpoint alone with a valid token and the same payload. Simulators without latency and with limits out
// of the way, the service's own limits raised likewise.
import autocannon, { type Result } from 'autocannon'
import { callsPerRequest, commandCalls, startPrivateRedis } from '../lib/private-redis.js'
import { cpuSeconds } from '../lib/process-cpu.js'
import { startBaseline, startService, startSimulators } from '../lib/processes.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { freshPrefix, SERVICE_LOG_LEVEL, unlimitedSourcesEnv } from '../lib/service-env.js'
import { storeOutages } from '../lib/service-health.js'
import { configure, OUT_OF_THE_WAY } from '../lib/simulator-admin.js'
import { fixed, median, medianOf } from '../lib/stats.js'
import { RUNS } from '../lib/workload.js'

const CONNECTIONS = 10
const DURATION_S = 3
const USERS = ['o00001', 'o00002', 'o00003', 'o00004', 'o00005']
const FROM = '2024-05-06'
const TO = '2024-05-12'

interface Target {
  url: string
  headers: Record<string, string>
  body: string
}

interface Triple {
  service: Result
  thin: Result
  direct: Result
  /** Redis commands per service request (a Redis of the benchmark's own: INFO commandstats). */
  redis: { total: number; text: string }
  /** CPU time (user + system) per request of the service's and the thin proxy's process, ms. */
  cpuMs: { service: number; thin: number }
  /**
   * Times the service's circuit breaker took Redis for away while it was measured: it then serves from
   * process memory, without the Redis round trips, so the run does not measure the service as deployed.
   */
  outages: number
}

const MEASURED = ['direct', 'thin', 'service'] as const
const TARGET_RATIO = 0.6

const json = { 'content-type': 'application/json' }

function perRequestMs(cpuS: number, result: Result): number {
  return (cpuS * 1000) / Math.max(result.requests.total, 1)
}

async function load(target: Target): Promise<Result> {
  return autocannon({
    ...target,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
  })
}

export async function overhead(context: BenchContext): Promise<ScenarioReport> {
  // A Redis of the scenario's own: no other client's load on it, and its command counts are the service's.
  const triples: Record<'feishu' | 'dingtalk', Triple[]> = { feishu: [], dingtalk: [] }
  const redis = await startPrivateRedis()
  const simulators = await startSimulators(context.workDir).catch(async (error: unknown) => {
    await redis.stop()
    throw error
  })
  try {
    await configure(simulators.feishuUrl, OUT_OF_THE_WAY)
    await configure(simulators.dingtalkUrl, OUT_OF_THE_WAY)
    const service = await startService(
      unlimitedSourcesEnv(simulators, freshPrefix(), context.workDir, { redisUrl: redis.url }),
      context.workDir,
    )
    try {
      const feishuToken = (
        (await (
          await fetch(`${simulators.feishuUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ app_id: 'cli_simulator', app_secret: 'simulator-secret' }),
          })
        ).json()) as { tenant_access_token: string }
      ).tenant_access_token
      const dingTalkToken = (
        (await (
          await fetch(`${simulators.dingtalkUrl}/gettoken?appkey=simulator-key&appsecret=simulator-secret`)
        ).json()) as { access_token: string }
      ).access_token
      const thin = await startBaseline(
        'bench/lib/thin-proxy.ts',
        {
          FEISHU_URL: simulators.feishuUrl,
          FEISHU_TOKEN: feishuToken,
          DINGTALK_URL: simulators.dingtalkUrl,
          DINGTALK_TOKEN: dingTalkToken,
          LOG_LEVEL: SERVICE_LOG_LEVEL,
        },
        context.workDir,
      )
      try {
        const query = (vendor: 'feishu' | 'dingtalk') =>
          JSON.stringify({ from: FROM, to: TO, users: USERS.map((id) => `${vendor}:${id}`) })
        const targets = {
          feishu: {
            service: { url: `${service.url}/attendance/results`, headers: json, body: query('feishu') },
            thin: { url: `${thin.url}/attendance/results`, headers: json, body: query('feishu') },
            // Exactly the call the service makes for that query.
            direct: {
              url: `${simulators.feishuUrl}/open-apis/attendance/v1/user_tasks/query?employee_type=employee_id&ignore_invalid_users=true&include_terminated_user=false`,
              headers: { ...json, authorization: `Bearer ${feishuToken}` },
              body: JSON.stringify({
                user_ids: USERS,
                check_date_from: 20240506,
                check_date_to: 20240512,
                need_overtime_result: false,
              }),
            },
          },
          dingtalk: {
            service: { url: `${service.url}/attendance/results`, headers: json, body: query('dingtalk') },
            thin: { url: `${thin.url}/attendance/results`, headers: json, body: query('dingtalk') },
            direct: {
              url: `${simulators.dingtalkUrl}/attendance/list?access_token=${dingTalkToken}`,
              headers: json,
              body: JSON.stringify({
                workDateFrom: `${FROM} 00:00:00`,
                workDateTo: `${TO} 00:00:00`,
                userIdList: USERS,
                offset: 0,
                limit: 50,
              }),
            },
          },
        }
        // Warm up every path (JIT, keep-alive sockets, the service's vendor tokens) before measuring.
        for (const vendor of ['feishu', 'dingtalk'] as const) {
          for (const measured of MEASURED) {
            await autocannon({
              ...targets[vendor][measured],
              method: 'POST',
              connections: CONNECTIONS,
              duration: 1,
            })
          }
        }
        for (let run = 1; run <= RUNS; run++) {
          for (const vendor of ['feishu', 'dingtalk'] as const) {
            const direct = await load(targets[vendor].direct)
            const thinCpu = cpuSeconds(thin.pid)
            const viaThin = await load(targets[vendor].thin)
            const thinCpuMs = perRequestMs(cpuSeconds(thin.pid) - thinCpu, viaThin)
            const before = await commandCalls(redis.client)
            const serviceCpu = cpuSeconds(service.pid)
            const since = Date.now()
            const viaService = await load(targets[vendor].service)
            const outages = storeOutages(service.logPath, since).count
            const serviceCpuMs = perRequestMs(cpuSeconds(service.pid) - serviceCpu, viaService)
            const commands = callsPerRequest(
              before,
              await commandCalls(redis.client),
              viaService.requests.total,
            )
            triples[vendor].push({
              service: viaService,
              thin: viaThin,
              direct,
              redis: commands,
              cpuMs: { service: serviceCpuMs, thin: thinCpuMs },
              outages,
            })
            context.progress(
              `overhead run ${run} ${vendor}: service ${fixed(viaService.requests.average, 0)} req/s p50 ${viaService.latency.p50} ms, thin proxy ${fixed(viaThin.requests.average, 0)} req/s p50 ${viaThin.latency.p50} ms, simulator ${fixed(direct.requests.average, 0)} req/s p50 ${direct.latency.p50} ms; service / thin ${fixed(viaService.requests.average / viaThin.requests.average)}; CPU a request ${fixed(serviceCpuMs)} / ${fixed(thinCpuMs)} ms; Redis per service request ${fixed(commands.total)} (${commands.text})${outages > 0 ? `; Redis taken for away ${outages}×` : ''}`,
            )
          }
        }
      } finally {
        await thin.stop()
      }
    } finally {
      await service.stop()
    }
  } finally {
    await simulators.stop()
    await redis.stop()
  }

  const rows: string[][] = []
  const ratios: Record<string, number> = {}
  const perRun: Record<string, string> = {}
  let failures = 0
  let outages = 0
  for (const vendor of ['feishu', 'dingtalk'] as const) {
    const runs = triples[vendor]
    const of = (pick: (triple: Triple) => number) => runs.map(pick)
    failures += of((triple) =>
      MEASURED.reduce((sum, measured) => sum + triple[measured].non2xx + triple[measured].errors, 0),
    ).reduce((a, b) => a + b, 0)
    outages += of((triple) => triple.outages).reduce((a, b) => a + b, 0)
    const rps = (measured: (typeof MEASURED)[number]) => of((triple) => triple[measured].requests.average)
    const overThin = of((triple) => triple.service.requests.average / triple.thin.requests.average)
    const overDirect = of((triple) => triple.service.requests.average / triple.direct.requests.average)
    const thinOverDirect = of((triple) => triple.thin.requests.average / triple.direct.requests.average)
    const latency = (pick: (result: Result) => number) =>
      MEASURED.map((measured) =>
        medianOf(
          of((triple) => pick(triple[measured])),
          0,
        ),
      )
        .reverse()
        .join(' / ')
    // Bytes read per answer, headers included.
    const bytes = (measured: (typeof MEASURED)[number]) =>
      fixed(
        median(
          of((triple) => triple[measured].throughput.total / Math.max(triple[measured].requests.total, 1)),
        ),
        0,
      )
    ratios[`${vendor}Thin`] = median(overThin)
    ratios[`${vendor}Direct`] = median(overDirect)
    perRun[vendor] = overThin.map((ratio) => fixed(ratio)).join(', ')
    rows.push(
      [`${vendor}: requests/s, service`, medianOf(rps('service'), 0)],
      [`${vendor}: requests/s, thin proxy`, medianOf(rps('thin'), 0)],
      [`${vendor}: requests/s, simulator alone`, medianOf(rps('direct'), 0)],
      [`${vendor}: **requests/s ratio** (service / thin proxy)`, `**${medianOf(overThin)}**`],
      [`${vendor}: requests/s ratio, service / simulator alone`, medianOf(overDirect)],
      [`${vendor}: requests/s ratio, thin proxy / simulator alone`, medianOf(thinOverDirect)],
      [
        `${vendor}: p50 latency ms, service / thin proxy / simulator`,
        latency((result) => result.latency.p50),
      ],
      [
        `${vendor}: p99 latency ms, service / thin proxy / simulator`,
        latency((result) => result.latency.p99),
      ],
      [
        `${vendor}: bytes an answer (headers included), service / thin proxy / simulator`,
        `${bytes('service')} / ${bytes('thin')} / ${bytes('direct')}`,
      ],
      [
        `${vendor}: CPU ms a request (user + system), service / thin proxy`,
        `${medianOf(of((triple) => triple.cpuMs.service))} / ${medianOf(of((triple) => triple.cpuMs.thin))}`,
      ],
      [
        `${vendor}: CPU a request, service / thin proxy`,
        medianOf(of((triple) => triple.cpuMs.service / triple.cpuMs.thin)),
      ],
      [
        `${vendor}: Redis commands per service request (the thin proxy sends none)`,
        `${medianOf(of((triple) => triple.redis.total))}: ${runs.at(-1)?.redis.text ?? ''} (last run)`,
      ],
    )
  }
  const met = (ratios.feishuThin ?? 0) >= TARGET_RATIO && (ratios.dingtalkThin ?? 0) >= TARGET_RATIO
  const rpsOf = (vendor: 'feishu' | 'dingtalk', measured: (typeof MEASURED)[number]) =>
    fixed(median(triples[vendor].map((triple) => triple[measured].requests.average)), 0)

  const body = [
    `autocannon (${CONNECTIONS} connections, ${DURATION_S} s per measurement, after a 1 s warm-up of each) in the benchmark process, three targets, each a separate process on loopback:`,
    '',
    `- **Service**: \`POST /attendance/results\` for 5 users × 7 days (${FROM}..${TO}) of one vendor, which is one vendor call per request; its sources' limits raised to 10,000/s (a sources file), the inbound per-client limit off (\`RATE_LIMIT_PER_MINUTE=0\`), the result cache off, logging at the default \`${SERVICE_LOG_LEVEL}\` (to a file), on a redis-server of the scenario's own (no other client's load; INFO commandstats before and after each service measurement give its Redis commands per request, commands run inside its Lua scripts included).`,
    `- **Thin proxy** (bench/lib/thin-proxy.ts, run by the same node): a minimal Fastify app whose one \`POST /attendance/results\` takes the same body, makes the same single vendor call with a fixed valid token (fetched once by the benchmark) through the client the service uses (a got instance with a keep-alive agent of the service's socket count, retries off) and answers the vendor's JSON as parsed (Fastify serializes it back). No validation schema, shared token, rate limiter, normalization or answer schema. Logging at \`${SERVICE_LOG_LEVEL}\` to a file, the lines the service writes: one a vendor call, one a request.`,
    '- **Simulator alone**: the same vendor call the service makes (same payload, a valid token), straight at the simulator.',
    '',
    `Simulators with no latency and limits of 1,000,000/s. Each run measures the simulator alone, then the thin proxy, then the service, Feishu then DingTalk; ${RUNS} runs; ratios are per run, then the median. CPU a request is the process's user + system time (/proc/<pid>/stat) over a measurement divided by the requests it answered: unlike requests/s it does not depend on the share of the 2 CPUs the process got beside the others. The headline is the service against the thin proxy: what the service adds beyond what any server in front of the vendor pays (an HTTP server, an HTTP client and the JSON both ways). The service / simulator ratio is kept below it: that one also counts the proxy hop itself, which the service cannot avoid.`,
    '',
    'Through the service a request also pays for: request validation and parsing, the shared token read (Redis GET), the call accounting (Redis), the rate-limit reservation and sliding-window admission (Lua scripts in Redis), the vendor call itself, normalization, serialization and its log lines. All three targets compete with autocannon and the simulator for the 2 CPUs.',
    '',
    table(['figure', 'median (runs)'], rows),
    '',
    `Non-2xx answers and errors across all measurements: ${failures}. Times the service took its Redis for away while it was measured (a command past its 1 s timeout opens the circuit breaker, and the service then serves from process memory without the Redis round trips: such a run does not measure the service as deployed): ${outages}${outages > 0 ? ' — **the machine was starved; rerun**' : ''}.`,
    '',
    `Service / thin proxy, per run: Feishu ${perRun.feishu}; DingTalk ${perRun.dingtalk} (target ≥ ${TARGET_RATIO}×: ${met ? 'met' : '**not met**'}).`,
    '',
    `What this means in practice: each of these requests costs one vendor call, and the vendors allow 50 (Feishu) and 20 (DingTalk) calls a second per app, for all replicas together. So the vendors cap small queries at 50 and 20 a second, while one service process answers about ${rpsOf('feishu', 'service')} and ${rpsOf('dingtalk', 'service')} a second here (the thin proxy ${rpsOf('feishu', 'thin')} and ${rpsOf('dingtalk', 'thin')}): the service's overhead is well below what the vendor limits leave to spend.`,
  ].join('\n')

  return {
    title: 'Overhead of the service on a small query',
    body,
    targets: [
      {
        figure: 'overhead: requests/s service / thin proxy',
        value: `Feishu ${fixed(ratios.feishuThin ?? Number.NaN)}× (${perRun.feishu}), DingTalk ${fixed(ratios.dingtalkThin ?? Number.NaN)}× (${perRun.dingtalk})`,
        target: `≥ ${TARGET_RATIO}×`,
        met,
      },
      {
        figure: 'overhead: requests/s through the service / simulator alone',
        value: `Feishu ${fixed(ratios.feishuDirect ?? Number.NaN)}, DingTalk ${fixed(ratios.dingtalkDirect ?? Number.NaN)}`,
        target: 'reported',
        met: null,
      },
    ],
  }
}
