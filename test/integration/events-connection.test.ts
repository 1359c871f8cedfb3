// The connection modes of vendor change events, against the simulators and real Redis: the Feishu long
// connection (the official SDK's WSClient against the simulator's frame protocol) and the DingTalk stream
// (our stream client against the simulator's gateway). A day changed at the simulator reaches the cached
// day of a replica that did not receive the event; every event is acked; with two connected replicas
// each event goes to one of them and the change feed lists it once; /sources tells who is connected.
import type { Test } from 'tap'
import t from 'tap'
import type {
  DingTalkSourceConfig,
  FeishuSourceConfig,
  SourceConfig,
} from '../../src/config/source-config.js'
import type { EventConnection } from '../../src/domain/events/event-connection.js'
import type { EventEffects, SourceEvent } from '../../src/domain/events/event-effects.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { ConnectionAttempt } from '../../src/simulators/shared/connection-delivery.js'
import { startDingTalkStream } from '../../src/vendors/dingtalk/stream.js'
import { startFeishuLongConnection } from '../../src/vendors/feishu/long-connection.js'
import { type Simulators, sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import { silentLog } from '../helpers/silent-log.js'

type App = Awaited<ReturnType<typeof startReplica>>['app']

/** The SDK opens a long connection only for a custom app's id. */
const FEISHU_APP_ID = 'cli_a1b2c3d4e5f60718'
const fast = { rateLimitPerSecond: 10_000 }
const WORK_DATE = '2024-05-07'
const cached = { cacheTtlSeconds: 21_600 }

async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function startBoth(t: Test): Promise<Simulators> {
  return startSimulators(t, { feishu: { ...fast, appId: FEISHU_APP_ID }, dingtalk: fast })
}

function sources(simulators: Simulators, mode: { feishu: string; dingtalk: string }): SourceConfig[] {
  return sourcesFor(simulators, {
    feishu: { ...cached, events: { mode: mode.feishu } } as Partial<SourceConfig>,
    dingtalk: { ...cached, events: { mode: mode.dingtalk } } as Partial<SourceConfig>,
  })
}

async function day(t: Test, app: App, source: string, userId: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from: WORK_DATE, to: WORK_DATE, users: [`${source}:${userId}`] },
  })
  t.equal(response.statusCode, 200)
  const [found] = response.json<AttendanceResponse>().results
  return found ? { ...found, fetchedAt: undefined } : undefined
}

async function connectedOf(app: App, source: string): Promise<boolean | null> {
  const response = await app.inject({ method: 'GET', url: '/sources' })
  const entry = response.json<{ sources: { id: string; events: { connected: boolean | null } }[] }>().sources
  return entry.find((info) => info.id === source)?.events.connected ?? null
}

async function feed(t: Test, app: App, source: string) {
  const response = await app.inject({ method: 'GET', url: `/attendance/changes?source=${source}` })
  t.equal(response.statusCode, 200)
  return response.json<{ changes: { userId: string; workDate: string; reason: string }[] }>().changes
}

/** The `vendor event` log lines of a replica: which event ids it applied. */
function appliedEvents(logs: { records(): Record<string, unknown>[] }, source: string): string[] {
  return logs
    .records()
    .filter((line) => line.msg === 'vendor event' && line.source === source && line.outcome === 'applied')
    .map((line) => String(line.eventId))
}

interface ModeUnderTest {
  source: 'feishu' | 'dingtalk'
  mode: string
  server: (simulators: Simulators) => {
    connections(): string[]
    attempts(): ConnectionAttempt[]
  }
  userId: string
  change: (simulators: Simulators, userId: string) => void
}

const MODES: ModeUnderTest[] = [
  {
    source: 'feishu',
    mode: 'long-connection',
    server: (simulators) => simulators.feishu.longConnection,
    userId: 'u0001',
    change: (simulators, userId) =>
      simulators.feishu.setDay(userId, WORK_DATE, { records: [{ check_in_result: 'Lack' }] }),
  },
  {
    source: 'dingtalk',
    mode: 'stream',
    server: (simulators) => simulators.dingtalk.stream,
    userId: 'u0001',
    change: (simulators, userId) =>
      simulators.dingtalk.setDay(userId, WORK_DATE, { checks: { OnDuty: { timeResult: 'SeriousLate' } } }),
  },
]

const modeOf = (mode: ModeUnderTest) => ({
  feishu: mode.source === 'feishu' ? mode.mode : 'off',
  dingtalk: mode.source === 'dingtalk' ? mode.mode : 'off',
})

for (const mode of MODES) {
  t.test(
    `${mode.source} ${mode.mode}: a change reaches the cached day of a replica that did not get the event`,
    async (t) => {
      const simulators = await startBoth(t)
      const server = mode.server(simulators)
      const prefix = uniquePrefix()
      const receiver = await startReplica(t, sources(simulators, modeOf(mode)), { redisKeyPrefix: prefix })
      const other = await startReplica(t, sources(simulators, { feishu: 'off', dingtalk: 'off' }), {
        redisKeyPrefix: prefix,
      })
      await until(
        'the receiver to connect',
        async () => (await connectedOf(receiver.app, mode.source)) === true,
      )
      t.equal(server.connections().length, 1, 'one connection: the receiver')
      t.equal(await connectedOf(other.app, mode.source), null, 'no connection mode on the other replica')

      const before = await day(t, other.app, mode.source, mode.userId)
      t.ok(before, 'the day exists')
      const vendor = mode.source === 'feishu' ? simulators.feishu : simulators.dingtalk
      const calls = vendor.counters().dataCalls
      t.same(await day(t, other.app, mode.source, mode.userId), before, 'served from the cache')
      t.equal(vendor.counters().dataCalls, calls, 'without a vendor call')

      mode.change(simulators, mode.userId)
      const acked = await until('the ack', () => server.attempts().find((a) => a.outcome === 'acked'))
      t.equal(server.attempts().length, 1, 'delivered once, acked at once')
      t.same(appliedEvents(receiver.logs, mode.source), [acked.eventId], 'the receiver applied it')
      t.same(appliedEvents(other.logs, mode.source), [], 'the other replica never saw it')

      const after = await day(t, other.app, mode.source, mode.userId)
      t.ok(vendor.counters().dataCalls > calls, 'the other replica refetched the day')
      t.not(JSON.stringify(after), JSON.stringify(before), 'and serves the changed day')
      const events = (await feed(t, other.app, mode.source)).filter((change) => change.reason === 'event')
      t.same(
        events.map(({ userId, workDate }) => ({ userId, workDate })),
        [{ userId: mode.userId, workDate: WORK_DATE }],
        'the feed lists the event once',
      )
    },
  )

  t.test(`${mode.source} ${mode.mode}: two connected replicas, each event to one of them`, async (t) => {
    const simulators = await startBoth(t)
    const server = mode.server(simulators)
    const prefix = uniquePrefix()
    const replicas = [
      await startReplica(t, sources(simulators, modeOf(mode)), { redisKeyPrefix: prefix }),
      await startReplica(t, sources(simulators, modeOf(mode)), { redisKeyPrefix: prefix }),
    ]
    await until('both replicas to connect', () => server.connections().length === 2)
    for (const replica of replicas)
      t.equal(await connectedOf(replica.app, mode.source), true, 'connected: true')

    const users = ['u0001', 'u0002', 'u0003', 'u0004', 'u0005', 'u0006']
    for (const userId of users) mode.change(simulators, userId)
    await until(
      'every event acked',
      () => server.attempts().filter((a) => a.outcome === 'acked').length === 6,
    )
    const attempts = server.attempts()
    t.equal(attempts.length, users.length, 'one delivery an event')
    t.equal(new Set(attempts.map((attempt) => attempt.eventId)).size, users.length, 'to one replica each')
    const [first, second] = replicas.map((replica) => appliedEvents(replica.logs, mode.source))
    t.equal((first?.length ?? 0) + (second?.length ?? 0), users.length, 'each event applied once in all')
    t.same(
      first?.filter((eventId) => second?.includes(eventId)),
      [],
      'no event applied by both replicas',
    )
    for (const replica of replicas) {
      const events = (await feed(t, replica.app, mode.source)).filter((change) => change.reason === 'event')
      t.same(
        events.map((change) => change.userId).sort(),
        users,
        'each replica reads every change once in the feed',
      )
    }

    // A replica that closes leaves; the other keeps taking the events.
    await replicas[0]?.app.close()
    await until('one connection left', () => server.connections().length === 1)
    mode.change(simulators, 'u0007')
    await until(
      'the next event acked',
      () => server.attempts().filter((a) => a.outcome === 'acked').length === 7,
    )
    t.same(
      appliedEvents(replicas[1]?.logs ?? { records: () => [] }, mode.source).length,
      (second?.length ?? 0) + 1,
    )
  })

  t.test(`${mode.source} ${mode.mode}: a connection the vendor drops is made again`, async (t) => {
    const simulators = await startBoth(t)
    const server = mode.server(simulators) as ReturnType<ModeUnderTest['server']> & {
      dropConnections(): number
    }
    const { app } = await startReplica(t, sources(simulators, modeOf(mode)))
    await until('the replica to connect', () => server.connections().length === 1)
    const [before] = server.connections()
    t.equal(server.dropConnections(), 1)
    await until(
      'a new connection',
      () => server.connections().length === 1 && server.connections()[0] !== before,
    )
    await until('connected again', async () => (await connectedOf(app, mode.source)) === true)
    mode.change(simulators, 'u0001')
    await until('the ack', () => server.attempts().some((attempt) => attempt.outcome === 'acked'))
  })
}

t.test('feishu long-connection: pings answered, an event split over frames merged into one', async (t) => {
  const simulators = await startBoth(t)
  const server = simulators.feishu.longConnection
  server.configure({ fragmentBytes: 64 })
  const { app, logs } = await startReplica(
    t,
    sources(simulators, { feishu: 'long-connection', dingtalk: 'off' }),
  )
  await until('the first ping (the SDK pings on connecting)', () => server.pings() >= 1)
  simulators.feishu.setDay('u0001', WORK_DATE, { records: [{ check_in_result: 'Lack' }] })
  await until('the ack', () => server.attempts().some((attempt) => attempt.outcome === 'acked'))
  t.equal(appliedEvents(logs, 'feishu').length, 1, 'the fragments made one event')
  t.equal(await connectedOf(app, 'feishu'), true)
})

t.test('dingtalk stream: SYSTEM pings answered with their data', async (t) => {
  const simulators = await startBoth(t)
  const server = simulators.dingtalk.stream
  await startReplica(t, sources(simulators, { feishu: 'off', dingtalk: 'stream' }))
  await until('the replica to connect', () => server.connections().length === 1)
  t.equal(server.ping(), 1)
  await until('the answer', () => server.pongs() === 1)
})

t.test('a replica with wrong credentials is not connected, and says so', async (t) => {
  const simulators = await startBoth(t)
  const wrong = sources(simulators, { feishu: 'long-connection', dingtalk: 'stream' }).map(
    (source) => ({ ...source, appSecret: 'wrong' }) as SourceConfig,
  )
  const { app, logs } = await startReplica(t, wrong)
  await until('both refusals logged', () =>
    ['feishu', 'dingtalk'].every((source) =>
      logs.records().some((line) => line.source === source && Number(line.level) >= 40),
    ),
  )
  t.equal(await connectedOf(app, 'feishu'), false)
  t.equal(await connectedOf(app, 'dingtalk'), false)
  t.same(simulators.feishu.longConnection.connections(), [])
  t.same(simulators.dingtalk.stream.connections(), [])
})

t.test('an event the app could not apply is not acked, and the vendor delivers it again', async (t) => {
  const simulators = await startBoth(t)
  const [feishu, dingtalk] = sources(simulators, { feishu: 'long-connection', dingtalk: 'stream' }) as [
    FeishuSourceConfig,
    DingTalkSourceConfig,
  ]
  for (const [source, server, change] of [
    [feishu, simulators.feishu.longConnection, MODES[0]?.change],
    [dingtalk, simulators.dingtalk.stream, MODES[1]?.change],
  ] as const) {
    // The shared store is away for the first event: apply throws, as EventEffects does then.
    const applied: SourceEvent[] = []
    let failures = 1
    const effects = {
      apply: async (event: SourceEvent) => {
        if (failures-- > 0) throw new Error('store unavailable')
        applied.push(event)
        return 'applied'
      },
    } as unknown as EventEffects
    const deps = { effects, log: silentLog as never }
    const connection: EventConnection =
      source.vendor === 'feishu'
        ? startFeishuLongConnection(source as FeishuSourceConfig, deps)
        : startDingTalkStream(source as DingTalkSourceConfig, deps)
    t.teardown(() => connection.close())
    await until(`${source.id} to connect`, () => connection.connected())
    change?.(simulators, 'u0001')
    await until(`${source.id}: the redelivery acked`, () =>
      server.attempts().some((a) => a.outcome === 'acked'),
    )
    t.same(
      server.attempts().map((attempt) => attempt.outcome),
      ['refused', 'acked'],
      `${source.id}: refused (${source.vendor === 'feishu' ? 'code 500' : 'LATER'}), then acked`,
    )
    t.equal(new Set(server.attempts().map((attempt) => attempt.eventId)).size, 1, 'the same event')
    t.same(
      applied.map(({ source, type, days }) => ({ source, type, days })),
      [
        {
          source: source.id,
          type:
            source.vendor === 'feishu'
              ? 'attendance.user_task.updated_v1'
              : 'attend_user_daily_summary_refresh',
          days: [{ userId: 'u0001', workDate: WORK_DATE }],
        },
      ],
      `${source.id}: the day the event names`,
    )
    await connection.close()
    t.equal(connection.connected(), false, 'closed')
    await until(`${source.id}: the vendor sees it leave`, () => server.connections().length === 0)
  }
})

for (const mode of MODES) {
  t.test(`${mode.source} ${mode.mode}: a duplicate delivery changes nothing`, async (t) => {
    const simulators = await startBoth(t)
    const server = mode.server(simulators)
    const vendor = mode.source === 'feishu' ? simulators.feishu : simulators.dingtalk
    vendor.configure({ eventFaults: { duplicate: true } })
    const prefix = uniquePrefix()
    const replicas = [
      await startReplica(t, sources(simulators, modeOf(mode)), { redisKeyPrefix: prefix }),
      await startReplica(t, sources(simulators, modeOf(mode)), { redisKeyPrefix: prefix }),
    ]
    await until('both replicas to connect', () => server.connections().length === 2)
    mode.change(simulators, mode.userId)
    await until(
      'both copies acked',
      () => server.attempts().filter((a) => a.outcome === 'acked').length === 2,
    )
    t.equal(new Set(server.attempts().map((attempt) => attempt.eventId)).size, 1, 'one event id, twice')
    const outcomes = replicas.flatMap((replica) =>
      replica.logs
        .records()
        .filter((line) => line.msg === 'vendor event' && line.source === mode.source)
        .map((line) => line.outcome),
    )
    t.same(outcomes.sort(), ['applied', 'duplicate'], 'applied once, the copy a duplicate')
    const events = (await feed(t, replicas[0]?.app as App, mode.source)).filter((c) => c.reason === 'event')
    t.equal(events.length, 1, 'the feed lists it once')
  })
}
