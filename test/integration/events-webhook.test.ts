// Vendor change events over webhooks, end to end: two app replicas on one Redis, the simulators pushing
// their events to replica A (listening on a real port), and replica B — which never receives an event —
// serving the changed day afresh on its next query. For each vendor: a day cached on B, changed at the
// simulator, refetched by B with the new content; the change listed once in B's change feed; a duplicate
// delivery changes nothing more; a delivery with a wrong signature is refused and changes nothing.
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { Change } from '../../src/domain/events/change-feed.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import type { DingTalkSimulator, FeishuSimulator } from '../../src/simulators/index.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'

type App = Awaited<ReturnType<typeof startReplica>>['app']

const from = '2024-05-06'
const to = '2024-05-10'
const USER = 'u0001'
const fast = { feishu: { rateLimitPerSecond: 10_000 }, dingtalk: { rateLimitPerSecond: 10_000 } }
const FEISHU_KEYS = { verificationToken: 'vt-integration', encryptKey: 'ek-integration-key' }
const DINGTALK_KEYS = { token: 'tokIntegration1', aesKey: 'QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmAR1JF3yz4zQ0' }

/** Polls until `probe` gives a value, or fails after the deadline. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function query(app: App, source: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/attendance/results',
    payload: { from, to, users: [`${source}:${USER}`] },
  })
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  const body = response.json<AttendanceResponse>()
  const report = body.sources.find((entry) => entry.source === source)
  const days = new Map(body.results.map((day) => [day.workDate, day]))
  return { cache: report?.cache, vendorCalls: report?.vendorCalls, days }
}

async function feed(app: App, source: string): Promise<Change[]> {
  const response = await app.inject(`/attendance/changes?source=${source}`)
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  return response.json<{ changes: Change[] }>().changes
}

/** attendance_events_total of one source and outcome on one replica, over every event type. */
async function eventMetric(app: App, source: string, outcome: string): Promise<number> {
  const text = (await app.inject('/metrics')).body
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith('attendance_events_total{')) continue
    if (line.includes(`source="${source}"`) && line.includes(`outcome="${outcome}"`))
      total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

interface Vendor {
  source: 'feishu' | 'dingtalk'
  simulator: FeishuSimulator | DingTalkSimulator
  /** The day's first check result as the vendor says it. */
  resultOf(day: DayResult | undefined): string | undefined
  /** The override that makes that check `result`. */
  override(result: string): object
}

async function setUp(t: Test) {
  const simulators = await startSimulators(t, fast)
  const sources = sourcesFor(simulators, {
    feishu: { cacheTtlSeconds: 21_600, events: { mode: 'webhook', ...FEISHU_KEYS } },
    dingtalk: { cacheTtlSeconds: 21_600, events: { mode: 'webhook', ...DINGTALK_KEYS } },
  })
  const redisKeyPrefix = uniquePrefix()
  const { app: receiver } = await startReplica(t, sources, { redisKeyPrefix })
  await receiver.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`
  const { app: reader } = await startReplica(t, sources, { redisKeyPrefix })
  simulators.feishu.configure({ events: { webhookUrl: `${base}/events/feishu/feishu`, ...FEISHU_KEYS } })
  simulators.dingtalk.configure({
    events: { webhookUrl: `${base}/events/dingtalk/dingtalk`, ...DINGTALK_KEYS },
  })
  const firstCheck = (day: DayResult | undefined) => day?.segments[0]?.checkIn?.vendorResult
  const vendors: Vendor[] = [
    {
      source: 'feishu',
      simulator: simulators.feishu,
      resultOf: firstCheck,
      override: (result) => ({ records: [{ check_in_result: result }] }),
    },
    {
      source: 'dingtalk',
      simulator: simulators.dingtalk,
      resultOf: firstCheck,
      override: (result) => ({ checks: { OnDuty: { timeResult: result } } }),
    },
  ]
  return { receiver, reader, vendors }
}

async function change(vendor: Vendor, workDate: string, result: string) {
  const response = await fetch(`${vendor.simulator.url}/__sim/days/${USER}/${workDate}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(vendor.override(result)),
  })
  if (response.status !== 200)
    throw new Error(`PUT ${workDate}: HTTP ${response.status} ${await response.text()}`)
}

const otherThan = (result: string | undefined) => (result === 'Late' ? 'Early' : 'Late')
const eventsOf = (changes: Change[]) =>
  changes.filter((entry) => entry.reason === 'event').map(({ userId, workDate }) => `${userId} ${workDate}`)

t.test(
  'a change at the simulator reaches a day cached on the replica that did not get the event',
  async (t) => {
    const { receiver, reader, vendors } = await setUp(t)
    for (const vendor of vendors) {
      await t.test(vendor.source, async (t) => {
        const { source, simulator } = vendor
        const cold = await query(reader, source)
        t.same(cold.cache, { hits: 0, misses: 5 }, 'B: the week fetched')
        const warm = await query(reader, source)
        t.same(warm.cache, { hits: 5, misses: 0 }, 'B: then served from the cache')
        t.equal(warm.vendorCalls, 0)
        t.same(await feed(reader, source), [], 'nothing changed yet')

        // 1. A change: the event goes to A, and B's next query refetches that day only.
        const before = vendor.resultOf(cold.days.get('2024-05-07'))
        const changed = otherThan(before)
        await change(vendor, '2024-05-07', changed)
        const listed = await until('the event in the feed', async () => {
          const changes = await feed(reader, source)
          return eventsOf(changes).length > 0 && changes
        })
        t.same(eventsOf(listed), [`${USER} 2024-05-07`], "B's feed lists the change")
        t.equal(await eventMetric(reader, source, 'applied'), 0, 'B received no event itself')
        t.equal(await eventMetric(receiver, source, 'applied'), 1, 'A applied it')
        t.match(simulator.counters(), { eventsSent: 1, eventsAcked: 1, eventsFailed: 0 })
        const fresh = await query(reader, source)
        t.same(fresh.cache, { hits: 4, misses: 1 }, 'B: the changed day is a miss, the others hits')
        t.equal(vendor.resultOf(fresh.days.get('2024-05-07')), changed, 'B serves the new content')
        for (const date of ['2024-05-06', '2024-05-08', '2024-05-09', '2024-05-10'])
          t.same(fresh.days.get(date), cold.days.get(date), `${date} as it was`)
        t.same((await query(reader, source)).cache, { hits: 5, misses: 0 }, 'B: cached again')

        // 2. A duplicate delivery (the same event id, signed afresh) changes nothing more.
        simulator.configure({ eventFaults: { duplicate: true } })
        const duplicated = otherThan(vendor.resultOf(cold.days.get('2024-05-08')))
        await change(vendor, '2024-05-08', duplicated)
        await until('the duplicate to be recognised', async () => {
          return (await eventMetric(receiver, source, 'duplicate')) === 1
        })
        t.equal(await eventMetric(receiver, source, 'applied'), 2, 'applied once')
        t.match(simulator.counters(), { eventsSent: 3, eventsAcked: 3, eventsFailed: 0 }, 'both copies acked')
        const afterDuplicate = await query(reader, source)
        t.same(afterDuplicate.cache, { hits: 4, misses: 1 }, 'B refetches the day once')
        t.equal(vendor.resultOf(afterDuplicate.days.get('2024-05-08')), duplicated)
        t.same(
          (await query(reader, source)).cache,
          { hits: 5, misses: 0 },
          'the duplicate dropped nothing again',
        )

        // 3. A delivery with a wrong signature is refused and changes nothing.
        simulator.configure({ eventFaults: { wrongSignature: true } })
        await change(vendor, '2024-05-09', otherThan(vendor.resultOf(cold.days.get('2024-05-09'))))
        await until('the forged deliveries to fail', async () => simulator.counters().eventsFailed === 2)
        t.match(
          simulator.counters(),
          { eventsSent: 5, eventsAcked: 3, eventsFailed: 2, eventsRetried: 1 },
          'refused, tried once more, refused again',
        )
        t.equal(await eventMetric(receiver, source, 'refused'), 2, 'A refused both')
        t.equal(await eventMetric(receiver, source, 'applied'), 2, 'A applied nothing more')
        const afterForged = await query(reader, source)
        t.same(afterForged.cache, { hits: 5, misses: 0 }, 'B: nothing was dropped')
        t.same(afterForged.days.get('2024-05-09'), cold.days.get('2024-05-09'), 'the day as cached')
        simulator.configure({ eventFaults: {} })

        // B's refetch of an announced day is not a second change: the event cleared the day's content hash.
        const changes = await feed(reader, source)
        t.same(
          changes.map(({ userId, workDate, reason }) => `${userId} ${workDate} ${reason}`),
          [`${USER} 2024-05-07 event`, `${USER} 2024-05-08 event`],
          'the whole feed: each announced change once, as an event, and no refetch entry for it',
        )
        t.same(
          eventsOf(changes),
          [`${USER} 2024-05-07`, `${USER} 2024-05-08`],
          'the feed lists each announced change once as an event, the duplicate adding nothing',
        )
        t.same(
          [...new Set(changes.map(({ userId, workDate }) => `${userId} ${workDate}`))],
          [`${USER} 2024-05-07`, `${USER} 2024-05-08`],
          'no other day is listed: nothing of the forged change',
        )
        t.ok(
          changes.every((entry) => entry.source === source),
          'only this source',
        )
      })
    }
  },
)
