// A fully cached small query against the least a server must do to answer it: autocannon at the service
// (result cache on, 50 users × 7 days of one vendor, every user-day a hit) against autocannon at a plain
// MGET route (bench/lib/thin-mget.ts: ONE MGET of the same entries, then the same bytes the service sent).
// Both on a redis-server of the scenario's own, whose INFO commandstats count each one's Redis commands.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon, { type Result } from 'autocannon'
import type { Redis } from 'ioredis'
import { entryKey } from '../../src/domain/cache/cache-keys.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { callCounts, callsBetween, totalCalls } from '../lib/cache-queries.js'
import { datesOf, userIds } from '../lib/plan-minimum.js'
import { callsPerRequest, commandCalls, startPrivateRedis } from '../lib/private-redis.js'
import { cpuSeconds } from '../lib/process-cpu.js'
import { startBaseline, startService, startSimulators } from '../lib/processes.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { cachedSourcesEnv, freshPrefix, SERVICE_LOG_LEVEL } from '../lib/service-env.js'
import { storeOutages } from '../lib/service-health.js'
import { configure, OUT_OF_THE_WAY } from '../lib/simulator-admin.js'
import { fixed, median, medianOf } from '../lib/stats.js'
import { asRefs, RUNS } from '../lib/workload.js'

const CONNECTIONS = 10
const DURATION_S = 3
/** At 50-100 requests a second the service's path needs more than 1 s of requests before it is compiled. */
const WARM_UP_S = 2
const FROM = '2024-05-06'
const TO = '2024-05-12'
const USERS = 50
const TARGET_RATIO = 0.7
const VENDORS = ['feishu', 'dingtalk'] as const
type Vendor = (typeof VENDORS)[number]
const LETTER: Record<Vendor, string> = { feishu: 'f', dingtalk: 'd' }
const KEY = /^day:v\d+:\{([0-9a-f]+)\}:no:([^:]+):(\d{4}-\d{2}-\d{2})$/

interface Measured {
  result: Result
  /** Redis commands per request (INFO commandstats before and after). */
  redis: { total: number; text: string }
  /** CPU time (user + system) of the measured process per request, ms. */
  cpuMs: number
}

interface Run {
  service: Measured
  thin: Measured
}

interface Prepared {
  body: string
  /** The keys the service reads for the query, prefix included, in its order (user, then date). */
  keys: string[]
  /** One answer of the service to the query, as sent. */
  answer: Buffer
}

const json = { 'content-type': 'application/json' }

export async function cacheRead(context: BenchContext): Promise<ScenarioReport> {
  const dates = datesOf(FROM, TO)
  const userDays = USERS * dates.length
  const prefix = freshPrefix()
  const runs: Record<Vendor, Run[]> = { feishu: [], dingtalk: [] }
  const prepared = {} as Record<Vendor, Prepared>
  let callsUnderLoad = 0
  let outages = 0
  const redis = await startPrivateRedis()
  try {
    const simulators = await startSimulators(context.workDir)
    try {
      await configure(simulators.feishuUrl, OUT_OF_THE_WAY)
      await configure(simulators.dingtalkUrl, OUT_OF_THE_WAY)
      const service = await startService(
        cachedSourcesEnv(simulators, prefix, context.workDir, {
          rateLimitPerSecond: 10_000,
          redisUrl: redis.url,
        }),
        context.workDir,
      )
      try {
        for (const vendor of VENDORS) {
          const body = JSON.stringify({
            from: FROM,
            to: TO,
            users: asRefs(vendor, userIds(LETTER[vendor], USERS)),
          })
          // Cold: fills the cache. Then a repeat, whose answer is the one the baseline sends.
          const cold = await ask(service.url, body)
          if (cold.status !== 200 || !cold.parsed.complete) {
            throw new Error(`the cold ${vendor} query failed (${cold.status})`)
          }
          const before = await callCounts(simulators)
          const repeat = await ask(service.url, body)
          const calls = callsBetween(before, await callCounts(simulators))
          const report = repeat.parsed.sources.find((source) => source.source === vendor)
          const allHits =
            repeat.status === 200 &&
            repeat.parsed.complete &&
            report?.cache?.hits === userDays &&
            report.cache.misses === 0 &&
            report.vendorCalls === 0 &&
            totalCalls(calls) + calls.tokens === 0
          if (!allHits) {
            throw new Error(
              `the repeated ${vendor} query was not all cache hits: status ${repeat.status}, complete ${repeat.parsed.complete}, cache ${JSON.stringify(report?.cache)}, vendorCalls ${report?.vendorCalls}, simulator calls ${JSON.stringify(calls)}`,
            )
          }
          prepared[vendor] = { body, keys: [], answer: repeat.bytes }
          context.progress(
            `cache-read ${vendor}: ${userDays} user-days all hits on the repeat, ${repeat.parsed.results.length} days, ${repeat.bytes.length} bytes an answer`,
          )
        }
        await listKeys(redis.client, prefix, dates, prepared)

        const dir = join(context.workDir, 'cache-read')
        mkdirSync(dir, { recursive: true })
        const spec = Object.fromEntries(
          VENDORS.map((vendor) => {
            const bodyFile = join(dir, `${vendor}-answer.json`)
            writeFileSync(bodyFile, prepared[vendor].answer)
            return [vendor, { keys: prepared[vendor].keys, bodyFile }]
          }),
        )
        const specFile = join(dir, 'thin-mget.json')
        writeFileSync(specFile, JSON.stringify(spec))
        const thin = await startBaseline(
          'bench/lib/thin-mget.ts',
          { REDIS_URL: redis.url, THIN_MGET_FILE: specFile, LOG_LEVEL: SERVICE_LOG_LEVEL },
          context.workDir,
        )
        try {
          for (const vendor of VENDORS) {
            const sent = await ask(thin.url, prepared[vendor].body)
            if (sent.status !== 200 || !sent.bytes.equals(prepared[vendor].answer)) {
              throw new Error(`the MGET route did not send the service's ${vendor} answer (${sent.status})`)
            }
          }
          const targets = (vendor: Vendor) => ({
            service: { url: `${service.url}/attendance/results`, headers: json, body: prepared[vendor].body },
            thin: { url: `${thin.url}/attendance/results`, headers: json, body: prepared[vendor].body },
          })
          // Warm up both paths (JIT, keep-alive sockets) before measuring.
          for (const vendor of VENDORS) {
            for (const target of [targets(vendor).thin, targets(vendor).service]) {
              await autocannon({ ...target, method: 'POST', connections: CONNECTIONS, duration: WARM_UP_S })
            }
          }
          const measure = async (
            target: ReturnType<typeof targets>['service'],
            pid: number,
          ): Promise<Measured> => {
            const before = await commandCalls(redis.client)
            const cpu = cpuSeconds(pid)
            const result = await autocannon({
              ...target,
              method: 'POST',
              connections: CONNECTIONS,
              duration: DURATION_S,
            })
            const cpuMs = ((cpuSeconds(pid) - cpu) * 1000) / Math.max(result.requests.total, 1)
            return {
              result,
              redis: callsPerRequest(before, await commandCalls(redis.client), result.requests.total),
              cpuMs,
            }
          }
          for (let run = 1; run <= RUNS; run++) {
            for (const vendor of VENDORS) {
              const viaThin = await measure(targets(vendor).thin, thin.pid)
              const before = await callCounts(simulators)
              const since = Date.now()
              const viaService = await measure(targets(vendor).service, service.pid)
              outages += storeOutages(service.logPath, since).count
              const calls = callsBetween(before, await callCounts(simulators))
              callsUnderLoad += totalCalls(calls) + calls.tokens
              runs[vendor].push({ service: viaService, thin: viaThin })
              context.progress(
                `cache-read run ${run} ${vendor}: service ${fixed(viaService.result.requests.average, 0)} req/s p50 ${viaService.result.latency.p50} ms (Redis ${viaService.redis.text}), MGET route ${fixed(viaThin.result.requests.average, 0)} req/s p50 ${viaThin.result.latency.p50} ms (Redis ${viaThin.redis.text}); service / MGET route ${fixed(viaService.result.requests.average / viaThin.result.requests.average)}`,
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
    }
  } finally {
    await redis.stop()
  }

  const rows: string[][] = []
  const ratios = {} as Record<Vendor, number[]>
  let failures = 0
  for (const vendor of VENDORS) {
    const of = (pick: (run: Run) => number) => runs[vendor].map(pick)
    const both = (pick: (measured: Measured) => number) =>
      `${medianOf(
        of((run) => pick(run.service)),
        0,
      )} / ${medianOf(
        of((run) => pick(run.thin)),
        0,
      )}`
    failures += of((run) =>
      [run.service, run.thin].reduce(
        (sum, measured) => sum + measured.result.non2xx + measured.result.errors,
        0,
      ),
    ).reduce((a, b) => a + b, 0)
    ratios[vendor] = of((run) => run.service.result.requests.average / run.thin.result.requests.average)
    const last = runs[vendor].at(-1)
    rows.push(
      [
        `${vendor}: requests/s, service`,
        medianOf(
          of((run) => run.service.result.requests.average),
          0,
        ),
      ],
      [
        `${vendor}: requests/s, plain MGET route`,
        medianOf(
          of((run) => run.thin.result.requests.average),
          0,
        ),
      ],
      [`${vendor}: **requests/s ratio** (service / plain MGET route)`, `**${medianOf(ratios[vendor])}**`],
      [`${vendor}: p50 latency ms, service / MGET route`, both((measured) => measured.result.latency.p50)],
      [`${vendor}: p99 latency ms, service / MGET route`, both((measured) => measured.result.latency.p99)],
      [
        `${vendor}: bytes an answer (headers included), service / MGET route`,
        both((measured) => measured.result.throughput.total / Math.max(measured.result.requests.total, 1)),
      ],
      [
        `${vendor}: CPU ms a request (user + system), service / MGET route`,
        `${medianOf(of((run) => run.service.cpuMs))} / ${medianOf(of((run) => run.thin.cpuMs))}`,
      ],
      [
        `${vendor}: CPU a request, service / MGET route`,
        medianOf(of((run) => run.service.cpuMs / run.thin.cpuMs)),
      ],
      [
        `${vendor}: Redis commands per request, service / MGET route (last run)`,
        `${last?.service.redis.text ?? ''} / ${last?.thin.redis.text ?? ''}`,
      ],
    )
  }
  const medians = Object.fromEntries(VENDORS.map((vendor) => [vendor, median(ratios[vendor])])) as Record<
    Vendor,
    number
  >
  const met = VENDORS.every((vendor) => medians[vendor] >= TARGET_RATIO)
  const perRun = (vendor: Vendor) => ratios[vendor].map((ratio) => fixed(ratio)).join(', ')
  const size = (vendor: Vendor) => prepared[vendor]?.answer.length ?? Number.NaN

  const body = [
    `autocannon (${CONNECTIONS} connections, ${DURATION_S} s per measurement, after a ${WARM_UP_S} s warm-up of each) in the benchmark process, at two targets, each a separate process on loopback, both on a redis-server of the scenario's own (no other client's load; INFO commandstats before and after each measurement give the Redis commands per request):`,
    '',
    `- **Service**: \`POST /attendance/results\` for ${USERS} users × ${dates.length} days (${FROM}..${TO}) of one vendor, measured for each vendor apart (Feishu users f00000…, DingTalk users d00000…), the result cache on as deployed (\`cacheTtlSeconds\` 21600, a sources file with \`retentionDays: 0\`, a fresh key prefix), limits raised to 10,000/s, the inbound per-client limit off, logging at \`${SERVICE_LOG_LEVEL}\` (to a file). Each query was asked once cold (filling the cache from the simulators, no latency) and once more: that repeat was checked to be all cache hits (${userDays} hits, 0 misses, 0 vendor calls in the answer's report, no call at the simulators), or the scenario fails. Its answer is the one the baseline sends.`,
    `- **Plain MGET route** (bench/lib/thin-mget.ts, run by the same node): a minimal Fastify app whose one \`POST /attendance/results\` takes the same body, sends ONE \`MGET\` of the ${userDays} keys the service reads for that query (found with SCAN on the prefix after warming and checked against the keys the service builds: \`<prefix>day:v1:{<tenant tag>}:no:<user>:<date>\`), checks that every value came back, and sends the service's captured answer (${size('feishu')} bytes for Feishu, ${size('dingtalk')} for DingTalk) as it is, with \`content-length\` where the service streams it chunked. It decodes no entry and serializes nothing: what is left is Fastify, ioredis (the service's client), one Redis read of the same values and the same bytes sent. Logging at \`${SERVICE_LOG_LEVEL}\` to a file, one line a request as the service writes.`,
    '',
    `Each run measures the MGET route, then the service, Feishu then DingTalk; ${RUNS} runs; ratios are per run, then the median. CPU a request is the process's user + system time (/proc/<pid>/stat) over a measurement divided by the requests it answered: unlike requests/s it does not depend on the share of the 2 CPUs the process got beside the others. Vendor calls at the simulators while the service was measured: ${callsUnderLoad} (every request a cache hit: ${callsUnderLoad === 0 ? 'yes' : '**no**'}).`,
    '',
    table(['figure', 'median (runs)'], rows),
    '',
    `Non-2xx answers and errors across all measurements: ${failures}. Times the service took its Redis for away while it was measured (its circuit breaker: lookups then miss and go to the vendors): ${outages}${outages > 0 ? ' — **the machine was starved; rerun**' : ''}.`,
    '',
    `Service / plain MGET route, per run: Feishu ${perRun('feishu')}; DingTalk ${perRun('dingtalk')} (target ≥ ${TARGET_RATIO}×: ${met ? 'met' : '**not met**'}). What the service does on top of the read: validates the query, plans it, builds the ${userDays} keys, decodes and checks the age of every entry (JSON.parse, raw rows included), builds the answer's days and reports, and serializes and streams them.`,
  ].join('\n')

  return {
    title: 'Result cache: a cached small query against a plain Redis read',
    body,
    targets: [
      {
        figure: 'cached query: requests/s service / plain MGET route',
        value: `Feishu ${fixed(medians.feishu)}× (${perRun('feishu')}), DingTalk ${fixed(medians.dingtalk)}× (${perRun('dingtalk')})`,
        target: `≥ ${TARGET_RATIO}×`,
        met,
      },
    ],
  }
}

async function ask(
  baseUrl: string,
  body: string,
): Promise<{ status: number; bytes: Buffer; parsed: AttendanceResponse }> {
  const response = await fetch(`${baseUrl}/attendance/results`, { method: 'POST', headers: json, body })
  const bytes = Buffer.from(await response.arrayBuffer())
  return { status: response.status, bytes, parsed: JSON.parse(bytes.toString('utf8')) as AttendanceResponse }
}

/**
 * The entries under the prefix (SCAN), which must be exactly the query's user-days of each vendor; the keys
 * in the order the service builds them (its entryKey with the tenant tag found).
 */
async function listKeys(
  client: Redis,
  prefix: string,
  dates: readonly string[],
  prepared: Record<Vendor, Prepared>,
): Promise<void> {
  const found = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}day:*`, 'COUNT', 1000)
    cursor = next
    for (const key of keys) found.add(key)
  } while (cursor !== '0')
  for (const vendor of VENDORS) {
    const users = userIds(LETTER[vendor], USERS)
    const tags = new Set(
      [...found]
        .map((key) => KEY.exec(key.slice(prefix.length)))
        .filter((match) => match && users.includes(match[2] as string))
        .map((match) => match?.[1] as string),
    )
    const [tag] = tags
    if (tags.size !== 1 || !tag) throw new Error(`${vendor}: ${tags.size} tenant tags among the entries`)
    prepared[vendor].keys = users.flatMap((user) =>
      dates.map((date) => `${prefix}${entryKey(tag, false, user, date)}`),
    )
    const missing = prepared[vendor].keys.filter((key) => !found.has(key))
    if (missing.length > 0) throw new Error(`${vendor}: ${missing.length} entries not in Redis`)
  }
  const expected = VENDORS.length * USERS * dates.length
  if (found.size !== expected) throw new Error(`${found.size} entries under the prefix, not ${expected}`)
}
