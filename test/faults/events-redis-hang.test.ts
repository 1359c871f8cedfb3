// A vendor change event that arrives while Redis hangs (SIGSTOP: connections open, no answer) must not be
// lost. For each of the four delivery modes — Feishu webhook, DingTalk webhook, Feishu long connection,
// DingTalk stream — a day is cached on replica B, Redis is frozen, the day is changed at the simulator (its
// admin route pushes the event to replica A), and Redis thaws. Then B must serve the new day and list it
// once in the change feed: either A's answer came after the effects were in Redis, or A told the vendor to
// retry and the vendor's retry (scheduled to land after the thaw) applied it. An event acknowledged with
// its effects only in A's memory would leave B serving the old day from the cache for hours.
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import type { Change } from '../../src/domain/events/change-feed.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import type { DingTalkSimulator, FeishuSimulator } from '../../src/simulators/index.js'
import { encryptFeishu, feishuSignature } from '../../src/vendors/feishu/crypto.js'
import { type Simulators, sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { type PrivateRedis, privateRedis } from '../helpers/private-redis.js'
import { uniquePrefix } from '../helpers/redis.js'
import { until } from './helpers.js'

type App = Awaited<ReturnType<typeof startReplica>>['app']

const USER = 'u0001'
const WORK_DATE = '2024-05-07'
/** The SDK opens a long connection only for a custom app's id. */
const FEISHU_APP_ID = 'cli_a1b2c3d4e5f60718'
const FEISHU_KEYS = { verificationToken: 'vt-hang', encryptKey: 'ek-hang-key' }
const DINGTALK_KEYS = { token: 'tokHang1', aesKey: 'QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmAR1JF3yz4zQ0' }
/**
 * The vendor's retries, stretched so that one lands after Redis is back and the replica's circuit breaker
 * has closed again (its open period is 5 s): as the vendors do, over minutes and hours.
 */
const RETRIES = { eventRetryDelaysMs: [1000, 2000, 4000, 8000, 8000] }
const cached = { cacheTtlSeconds: 21_600 }

interface Mode {
  name: string
  source: 'feishu' | 'dingtalk'
  /** The events setting of the receiving replica's source. */
  events: object
  /** Whether the simulator pushes to replica A's URL (else A connects to the simulator). */
  webhook: boolean
  override(result: string): object
}

const feishuOverride = (result: string) => ({ records: [{ check_in_result: result }] })
const dingtalkOverride = (result: string) => ({ checks: { OnDuty: { timeResult: result } } })

const MODES: Mode[] = [
  {
    name: 'Feishu webhook',
    source: 'feishu',
    events: { mode: 'webhook', ...FEISHU_KEYS },
    webhook: true,
    override: feishuOverride,
  },
  {
    name: 'DingTalk webhook',
    source: 'dingtalk',
    events: { mode: 'webhook', ...DINGTALK_KEYS },
    webhook: true,
    override: dingtalkOverride,
  },
  {
    name: 'Feishu long connection',
    source: 'feishu',
    events: { mode: 'long-connection' },
    webhook: false,
    override: feishuOverride,
  },
  {
    name: 'DingTalk stream',
    source: 'dingtalk',
    events: { mode: 'stream' },
    webhook: false,
    override: dingtalkOverride,
  },
]

async function day(app: App, source: string): Promise<DayResult | undefined> {
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from: WORK_DATE, to: WORK_DATE, users: [`${source}:${USER}`] },
  })
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  const body = response.json<AttendanceResponse>()
  return body.results[0]
}

async function cacheUse(app: App, source: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from: WORK_DATE, to: WORK_DATE, users: [`${source}:${USER}`] },
  })
  return response.json<AttendanceResponse>().sources.find((report) => report.source === source)?.cache
}

async function eventFeed(app: App, source: string): Promise<string[]> {
  const response = await app.inject(`/attendance/changes?source=${source}`)
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  return response
    .json<{ changes: Change[] }>()
    .changes.filter((change) => change.reason === 'event')
    .map((change) => `${change.userId} ${change.workDate}`)
}

const firstCheck = (found: DayResult | undefined) => found?.segments[0]?.checkIn?.vendorResult

async function replicas(t: Test, redis: PrivateRedis, simulators: Simulators, mode: Mode) {
  const withEvents = (events: object) =>
    sourcesFor(simulators, {
      feishu: { ...cached, events: mode.source === 'feishu' ? events : { mode: 'off' } },
      dingtalk: { ...cached, events: mode.source === 'dingtalk' ? events : { mode: 'off' } },
    } as { feishu: Partial<SourceConfig>; dingtalk: Partial<SourceConfig> })
  const options = { redisKeyPrefix: uniquePrefix(), config: { redisUrl: redis.url } }
  const receiver = await startReplica(t, withEvents(mode.events), options)
  // B takes no events itself: it only reads what A's events did to the shared cache and feed.
  const reader = await startReplica(t, withEvents({ mode: 'off' }), options)
  return { receiver, reader }
}

async function connect(receiver: App, simulators: Simulators, mode: Mode) {
  const simulator = mode.source === 'feishu' ? simulators.feishu : simulators.dingtalk
  if (mode.webhook) {
    await receiver.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`
    if (mode.source === 'feishu')
      simulators.feishu.configure({ events: { webhookUrl: `${base}/events/feishu/feishu`, ...FEISHU_KEYS } })
    else
      simulators.dingtalk.configure({
        events: { webhookUrl: `${base}/events/dingtalk/dingtalk`, ...DINGTALK_KEYS },
      })
    return simulator
  }
  const server = mode.source === 'feishu' ? simulators.feishu.longConnection : simulators.dingtalk.stream
  await until(() => server.connections().length === 1, 'replica A to connect', 20_000)
  return simulator
}

async function changeDay(simulator: FeishuSimulator | DingTalkSimulator, override: object) {
  const response = await fetch(`${simulator.url}/__sim/days/${USER}/${WORK_DATE}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(override),
  })
  if (response.status !== 200) throw new Error(`PUT day: HTTP ${response.status} ${await response.text()}`)
}

for (const mode of MODES) {
  t.test(`${mode.name}: an event that arrives while Redis hangs is not lost`, async (t) => {
    const redis = await privateRedis(t)
    const simulators = await startSimulators(t, {
      feishu: { rateLimitPerSecond: 10_000, appId: FEISHU_APP_ID, ...RETRIES },
      dingtalk: { rateLimitPerSecond: 10_000, ...RETRIES },
    })
    const { receiver, reader } = await replicas(t, redis, simulators, mode)
    const simulator = await connect(receiver.app, simulators, mode)

    const before = firstCheck(await day(reader.app, mode.source))
    t.ok(before, 'the day has a first check')
    t.same(await cacheUse(reader.app, mode.source), { hits: 1, misses: 0 }, 'B serves the day from the cache')
    const changed = before === 'Late' ? 'Early' : 'Late'

    redis.freeze()
    await changeDay(simulator, mode.override(changed))
    await until(() => {
      const counters = simulator.counters()
      return (counters.eventsAcked ?? 0) + (counters.eventsFailed ?? 0) >= 1
    }, 'the first delivery to be answered or given up')
    const duringHang = simulator.counters()
    redis.thaw()

    await until(
      async () => firstCheck(await day(reader.app, mode.source)) === changed,
      'B to serve the changed day',
      40_000,
    )
    t.pass(`B serves the changed day (${changed}) after the thaw`)
    t.same(await eventFeed(reader.app, mode.source), [`${USER} ${WORK_DATE}`], 'listed once in the feed')

    const { eventsSent, eventsAcked, eventsFailed, eventsRetried } = simulator.counters()
    const counters = { eventsSent, eventsAcked, eventsFailed, eventsRetried }
    t.equal(counters.eventsAcked, 1, 'acknowledged once, when it was applied')
    t.ok(
      (duringHang.eventsFailed ?? 0) >= 1,
      'the delivery during the hang was not acknowledged as a success',
    )
    t.equal(
      counters.eventsRetried,
      counters.eventsFailed,
      'the vendor was told to retry, and its retry did it',
    )
    t.equal(
      counters.eventsSent,
      (counters.eventsAcked ?? 0) + (counters.eventsFailed ?? 0),
      `every delivery answered or given up: ${JSON.stringify(counters)}`,
    )
    t.same(
      await eventFeed(receiver.app, mode.source),
      [`${USER} ${WORK_DATE}`],
      'the receiving replica reads the same feed',
    )
  })
}

t.test(
  'a webhook answers 503 with Retry-After while Redis hangs, and takes the same request after',
  async (t) => {
    const redis = await privateRedis(t)
    const simulators = await startSimulators(t, { feishu: { rateLimitPerSecond: 10_000 } })
    const sources = sourcesFor(simulators, {
      feishu: { ...cached, events: { mode: 'webhook', ...FEISHU_KEYS } } as Partial<SourceConfig>,
    })
    const { app } = await startReplica(t, sources, { config: { redisUrl: redis.url } })
    const plain = JSON.stringify({
      schema: '2.0',
      header: {
        event_id: 'hang-1',
        event_type: 'attendance.user_task.updated_v1',
        token: FEISHU_KEYS.verificationToken,
        app_id: simulators.feishu.credentials.appId,
        create_time: String(Date.now()),
      },
      event: { employee_id: USER, employee_no: USER, date: 20240507 },
    })
    const body = JSON.stringify({ encrypt: encryptFeishu(plain, FEISHU_KEYS.encryptKey) })
    const timestamp = String(Math.floor(Date.now() / 1000))
    const request = {
      method: 'POST' as const,
      url: '/events/feishu/feishu',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-lark-request-timestamp': timestamp,
        'x-lark-request-nonce': 'hang-nonce',
        'x-lark-signature': feishuSignature(
          timestamp,
          'hang-nonce',
          FEISHU_KEYS.encryptKey,
          Buffer.from(body),
        ),
      },
    }

    redis.freeze()
    const refused = await app.inject(request)
    t.equal(refused.statusCode, 503)
    t.same(refused.json(), {
      statusCode: 503,
      code: 'ATT_STORE_UNAVAILABLE',
      error: 'Service Unavailable',
      message: 'event not applied: the shared store is not answering; deliver it again (retry in 5 s)',
    })
    t.equal(refused.headers['retry-after'], '5', 'Retry-After: when the store is probed again')
    redis.thaw()

    let answer = refused
    await until(
      async () => {
        answer = await app.inject(request)
        return answer.statusCode === 200
      },
      'the same request to be taken once Redis answers',
      30_000,
    )
    t.same(await eventFeed(app, 'feishu'), [`${USER} ${WORK_DATE}`], 'applied once')
    t.equal((await app.inject(request)).statusCode, 409, 'and only then a replay')
  },
)
