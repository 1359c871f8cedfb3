// What the service adds to one small query: autocannon at the service (5 users × 7 days, one vendor call
// per request) against autocannon at the simulator's data endpoint with a valid token and the same payload.
// Simulators without latency and with limits out of the way, the service's own limits raised likewise.
import autocannon, { type Result } from 'autocannon'
import { startService, startSimulators } from '../lib/processes.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { freshPrefix, unlimitedSourcesEnv } from '../lib/service-env.js'
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

interface Pair {
  service: Result
  direct: Result
}

const json = { 'content-type': 'application/json' }

async function load(target: Target): Promise<Result> {
  return autocannon({
    ...target,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
  })
}

export async function overhead(context: BenchContext): Promise<ScenarioReport> {
  const simulators = await startSimulators(context.workDir)
  const pairs: Record<'feishu' | 'dingtalk', Pair[]> = { feishu: [], dingtalk: [] }
  try {
    await configure(simulators.feishuUrl, OUT_OF_THE_WAY)
    await configure(simulators.dingtalkUrl, OUT_OF_THE_WAY)
    const service = await startService(
      unlimitedSourcesEnv(simulators, freshPrefix(), context.workDir),
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
      const targets = {
        feishu: {
          service: {
            url: `${service.url}/attendance/results`,
            headers: json,
            body: JSON.stringify({ from: FROM, to: TO, users: USERS.map((id) => `feishu:${id}`) }),
          },
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
          service: {
            url: `${service.url}/attendance/results`,
            headers: json,
            body: JSON.stringify({ from: FROM, to: TO, users: USERS.map((id) => `dingtalk:${id}`) }),
          },
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
      // Warm up both paths (JIT, keep-alive sockets, the service's vendor tokens) before measuring.
      for (const vendor of ['feishu', 'dingtalk'] as const) {
        for (const target of [targets[vendor].service, targets[vendor].direct]) {
          await autocannon({ ...target, method: 'POST', connections: CONNECTIONS, duration: 1 })
        }
      }
      for (let run = 1; run <= RUNS; run++) {
        for (const vendor of ['feishu', 'dingtalk'] as const) {
          const direct = await load(targets[vendor].direct)
          const viaService = await load(targets[vendor].service)
          pairs[vendor].push({ service: viaService, direct })
          context.progress(
            `overhead run ${run} ${vendor}: service ${fixed(viaService.requests.average, 0)} req/s p50 ${viaService.latency.p50} ms, simulator ${fixed(direct.requests.average, 0)} req/s p50 ${direct.latency.p50} ms`,
          )
        }
      }
    } finally {
      await service.stop()
    }
  } finally {
    await simulators.stop()
  }

  const rows: string[][] = []
  const ratios: Record<string, number> = {}
  let failures = 0
  for (const vendor of ['feishu', 'dingtalk'] as const) {
    const runs = pairs[vendor]
    const of = (pick: (pair: Pair) => number) => runs.map(pick)
    failures += of(
      (pair) => pair.service.non2xx + pair.service.errors + pair.direct.non2xx + pair.direct.errors,
    ).reduce((a, b) => a + b, 0)
    const rps = of((pair) => pair.service.requests.average / pair.direct.requests.average)
    const p50 = of((pair) => pair.service.latency.p50 / Math.max(pair.direct.latency.p50, 1))
    const p99 = of((pair) => pair.service.latency.p99 / Math.max(pair.direct.latency.p99, 1))
    ratios[`${vendor}Rps`] = median(rps)
    rows.push(
      [
        `${vendor}: requests/s, service`,
        medianOf(
          of((pair) => pair.service.requests.average),
          0,
        ),
      ],
      [
        `${vendor}: requests/s, simulator alone`,
        medianOf(
          of((pair) => pair.direct.requests.average),
          0,
        ),
      ],
      [`${vendor}: **requests/s ratio** (service / simulator)`, `**${medianOf(rps)}**`],
      [
        `${vendor}: p50 latency ms, service / simulator`,
        `${medianOf(
          of((pair) => pair.service.latency.p50),
          0,
        )} / ${medianOf(
          of((pair) => pair.direct.latency.p50),
          0,
        )}`,
      ],
      [`${vendor}: p50 ratio`, medianOf(p50)],
      [
        `${vendor}: p99 latency ms, service / simulator`,
        `${medianOf(
          of((pair) => pair.service.latency.p99),
          0,
        )} / ${medianOf(
          of((pair) => pair.direct.latency.p99),
          0,
        )}`,
      ],
      [`${vendor}: p99 ratio`, medianOf(p99)],
    )
  }

  const body = [
    `autocannon (${CONNECTIONS} connections, ${DURATION_S} s per measurement, after a 1 s warm-up) in the benchmark process. Service: \`POST /attendance/results\` for 5 users × 7 days (${FROM}..${TO}) of one vendor, which is one vendor call per request; its sources' limits raised to 10,000/s (a sources file), the inbound per-client limit off (\`RATE_LIMIT_PER_MINUTE=0\`), logging at the default \`info\` (to a file). Simulator alone: the same vendor call the service makes (same payload, a valid token). Simulators with no latency and limits of 1,000,000/s. Each run measures the simulator alone, then through the service; ${RUNS} runs; ratios are per run, then the median.`,
    '',
    'Through the service a request also pays for: request validation and parsing, the shared token read (Redis GET), the rate-limit reservation and sliding-window admission (two Lua scripts in Redis), the vendor call itself, normalization, serialization and two log lines. Both processes compete with autocannon for the 2 CPUs.',
    '',
    table(['figure', 'median (runs)'], rows),
    '',
    `Non-2xx answers and errors across all measurements: ${failures}.`,
    '',
    `What this means in practice: each of these requests costs one vendor call, and the vendors allow 50 (Feishu) and 20 (DingTalk) calls a second per app, for all replicas together. So the vendors cap small queries at 50 and 20 a second, while one service process answers about ${fixed(median(pairs.feishu.map((pair) => pair.service.requests.average)), 0)} and ${fixed(median(pairs.dingtalk.map((pair) => pair.service.requests.average)), 0)} a second here: the service's overhead is well below what the vendor limits leave to spend. (A CPU profile of this load shows the time spread over socket writes, got, Ajv, ioredis, logging and GC; no single hot spot.)`,
  ].join('\n')

  return {
    title: 'Overhead of the service on a small query',
    body,
    targets: [
      {
        figure: 'overhead: requests/s through the service / simulator alone',
        value: `Feishu ${fixed(ratios.feishuRps ?? Number.NaN)}, DingTalk ${fixed(ratios.dingtalkRps ?? Number.NaN)}`,
        target: 'reported',
        met: null,
      },
    ],
  }
}
