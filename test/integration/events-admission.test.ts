// Unauthenticated junk must not use up a source's event allowance. A flood of unsigned `POST {}` from one
// address is refused (401), and past EVENTS_FAILURES_PER_MINUTE that address gets 429 without its
// requests being checked further; the source's own limit (EVENTS_RATE_LIMIT_PER_MINUTE) counts only what
// passed the signature check, so the simulator's next real event (from another address) is still
// accepted and applied. Both vendors, the simulators pushing over HTTP to a replica on a real port.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { SourceConfig } from '../../src/config/source-config.js'
import type { Change } from '../../src/domain/events/change-feed.js'
import { sourcesFor, startReplica, startSimulators } from '../helpers/integration.js'

const FEISHU_KEYS = { verificationToken: 'vt-admission', encryptKey: 'ek-admission-key' }
const DINGTALK_KEYS = { token: 'tokAdmission1', aesKey: 'QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmAR1JF3yz4zQ0' }
const FAILURES_PER_MINUTE = 100
const FLOOD = 300

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

t.test('a flood of forgeries never blocks a real event', async (t) => {
  const simulators = await startSimulators(t, {
    feishu: { rateLimitPerSecond: 10_000 },
    dingtalk: { rateLimitPerSecond: 10_000 },
  })
  const sources = sourcesFor(simulators, {
    feishu: { events: { mode: 'webhook', ...FEISHU_KEYS } } as Partial<SourceConfig>,
    dingtalk: { events: { mode: 'webhook', ...DINGTALK_KEYS } } as Partial<SourceConfig>,
  })
  const { app } = await startReplica(t, sources, {
    config: { eventsPerMinute: 50, eventsFailuresPerMinute: FAILURES_PER_MINUTE },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  simulators.feishu.configure({ events: { webhookUrl: `${base}/events/feishu/feishu`, ...FEISHU_KEYS } })
  simulators.dingtalk.configure({
    events: { webhookUrl: `${base}/events/dingtalk/dingtalk`, ...DINGTALK_KEYS },
  })
  const vendors = [
    {
      source: 'feishu',
      flooder: '198.51.100.7',
      simulator: simulators.feishu,
      override: { records: [{ check_in_result: 'Late' }] },
    },
    {
      source: 'dingtalk',
      // Another address: an address's failures count whichever source it floods.
      flooder: '198.51.100.8',
      simulator: simulators.dingtalk,
      override: { checks: { OnDuty: { timeResult: 'Late' } } },
    },
  ] as const

  for (const { source, flooder, simulator, override } of vendors) {
    await t.test(source, async (t) => {
      const statuses: number[] = []
      let last: Awaited<ReturnType<typeof app.inject>> | undefined
      for (let sent = 0; sent < FLOOD; sent++) {
        const answer = await app.inject({
          method: 'POST',
          url: `/events/${source}/${source}`,
          remoteAddress: flooder,
          headers: { 'content-type': 'application/json' },
          payload: '{}',
        })
        statuses.push(answer.statusCode)
        last = answer
      }
      const count = (status: number) => statuses.filter((found) => found === status).length
      t.same(
        statuses.slice(0, FAILURES_PER_MINUTE),
        Array(FAILURES_PER_MINUTE).fill(401),
        'the first forgeries are refused as not from the vendor',
      )
      t.equal(count(401) + count(429), FLOOD, 'every forgery is refused')
      // A minute may turn during the flood: the address then has a second minute's worth of failures.
      t.ok(
        count(429) >= FLOOD - 2 * FAILURES_PER_MINUTE,
        `past its failure limit the flooding address gets 429 (${count(429)} of ${FLOOD})`,
      )
      t.match(last?.json(), { statusCode: 429, code: 'ATT_EVENTS_RATE_LIMITED' }, 'in the error shape')
      const retryAfter = Number(last?.headers['retry-after'])
      t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} s: when its minute ends`)

      simulator.setDay('u0001', '2024-05-07', override)
      await until('the real event to be answered', async () => (simulator.counters().eventsSent ?? 0) >= 1)
      await until(
        'the real event in the feed',
        async () => (await app.inject(`/attendance/changes?source=${source}`)).json().changes.length > 0,
      )
      // The feed has it before the acknowledgement is back at the vendor: wait for the delivery to settle.
      await until('the delivery to be settled', async () => {
        const { eventsAcked = 0, eventsFailed = 0 } = simulator.counters()
        return eventsAcked + eventsFailed >= 1
      })
      const feed = (await app.inject(`/attendance/changes?source=${source}`)).json<{ changes: Change[] }>()
      t.same(
        feed.changes.map(({ userId, workDate, reason }) => `${userId} ${workDate} ${reason}`),
        ['u0001 2024-05-07 event'],
        'the real event is applied',
      )
      t.match(
        simulator.counters(),
        { eventsSent: 1, eventsAcked: 1, eventsFailed: 0 },
        'and acknowledged at the first delivery',
      )
    })
  }
})
