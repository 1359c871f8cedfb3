// The service on a Sentinel-managed Redis started by this test (one master, one replica, three sentinels):
// two instances share one token per app and one rate schedule; the master killed during a long query,
// the query still ends complete and both instances follow the promoted replica without a restart.
import { createHash } from 'node:crypto'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { until } from '../faults/helpers.js'
import { sourcesFor, startReplica, startSimulators, userList } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import { cli, sentinelSet } from '../helpers/redis-topologies.js'

const RATE = 8

t.test('on Redis Sentinel', async (t) => {
  const sentinel = await sentinelSet(t)
  const simulators = await startSimulators(t, {
    feishu: { latencyMs: 20, rateLimitPerSecond: 10_000 },
    dingtalk: { latencyMs: 20, rateLimitPerSecond: 10_000 },
  })
  const sources = sourcesFor(simulators, {
    feishu: { rateLimitPerSecond: RATE },
    dingtalk: { rateLimitPerSecond: RATE },
  })
  const prefix = uniquePrefix()
  const config = { redisUrl: undefined, redis: sentinel.settings }
  const [a, b] = [
    await startReplica(t, sources, { redisKeyPrefix: prefix, config }),
    await startReplica(t, sources, { redisKeyPrefix: prefix, config }),
  ]
  for (const { app } of [a, b]) t.equal((await app.inject('/readyz')).statusCode, 200, 'ready on Sentinel')

  const query = (app: typeof a.app, tag: string, feishuUsers: number, dingtalkUsers: number) =>
    app.inject({
      method: 'POST',
      url: '/attendance/results',
      payload: {
        from: '2024-05-06',
        to: '2024-05-07',
        users: [...userList('feishu', feishuUsers, tag), ...userList('dingtalk', dingtalkUsers, tag)],
      },
    })

  t.test('two instances share one token per app and one rate limit', async (t) => {
    // Per instance: Feishu 400 users × 2 days = 8 calls, DingTalk 100 users = 2 chunks × 4 pages = 8.
    const answers = await Promise.all([query(a.app, 'a-', 400, 100), query(b.app, 'b-', 400, 100)])
    for (const answer of answers) t.equal(answer.json<AttendanceResponse>().complete, true)
    for (const simulator of [simulators.feishu, simulators.dingtalk]) {
      const counters = simulator.counters()
      t.equal(counters.tokenCalls, 1, 'one token for both instances')
      t.equal(counters.dataCalls, 16)
      // No tolerance, as in rate-limits.test.ts: a call held up before its socket write is paced again.
      t.ok(counters.peakPerSecond <= RATE, `peak ${counters.peakPerSecond}/s ≤ ${RATE}/s shared`)
      t.ok(counters.peakPerSecond >= RATE - 2, `…and the rate is used (${counters.peakPerSecond}/s)`)
    }
  })

  t.test('the master killed during a query: complete answer, and both follow the new master', async (t) => {
    simulators.feishu.resetCounters()
    simulators.dingtalk.resetCounters()
    const oldMaster = await sentinel.master()
    // DingTalk: 200 users = 4 chunks × 4 pages = 16 calls at 8/s: two seconds and more of calls.
    const answering = query(a.app, 'long-', 0, 200)
    await until(() => simulators.dingtalk.counters().dataCalls >= 3, 'the query to be under way')
    await sentinel.killMaster()
    const callsAtKill = simulators.dingtalk.counters().dataCalls
    t.ok(callsAtKill < 16, `killed with ${16 - callsAtKill} of the 16 calls still to make`)
    const answer = (await answering).json<AttendanceResponse>()
    t.equal(answer.complete, true, 'the query ended complete')
    t.equal(answer.results.length, 200 * 2)

    await until(
      async () => (await sentinel.master()) !== oldMaster,
      'the sentinels to promote the replica',
      20_000,
    )
    const newMaster = await sentinel.master()
    for (const [name, { app }] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await until(
        async () => (await app.inject('/readyz')).statusCode === 200,
        `instance ${name} to be ready`,
        20_000,
      )
    }
    const later = await Promise.all([query(a.app, 'after-a-', 50, 50), query(b.app, 'after-b-', 50, 50)])
    for (const response of later)
      t.equal(response.json<AttendanceResponse>().complete, true, 'a later query works')
    for (const { app } of [a, b])
      t.match(
        (await app.inject('/readyz')).json(),
        { store: { kind: 'redis', mode: 'shared' } },
        'shared again',
      )
    const keys = (await cli(newMaster, '--scan', '--pattern', `${prefix}*`)).trim().split('\n')
    t.ok(
      keys.some((key) => key.startsWith(`${prefix}token:dingtalk:`)) &&
        keys.some((key) => key.startsWith(`${prefix}ratelimit:`)),
      `the new master (${newMaster}, was ${oldMaster}) holds the shared token and rate schedule`,
    )
  })

  t.test('an export job queued on one instance runs, and its file downloads from the other', async (t) => {
    // After the failover above: BullMQ, the job record and the file's chunks on the promoted master.
    const created = await a.app.inject({
      method: 'POST',
      url: '/attendance/exports',
      payload: {
        from: '2024-05-06',
        to: '2024-05-07',
        users: [...userList('feishu', 60, 'export-'), ...userList('dingtalk', 60, 'export-')],
        format: 'csv',
      },
    })
    t.equal(created.statusCode, 202, 'queued on Sentinel')
    const id = created.json<{ id: string }>().id
    let job = created.json<{ status: string; complete: boolean; file: { sha256: string } | null }>()
    await until(async () => {
      job = (await b.app.inject(`/attendance/exports/${id}`)).json()
      return job.status === 'succeeded' || job.status === 'failed'
    }, 'the export job to finish')
    t.equal(job.status, 'succeeded', 'the job ran')
    t.equal(job.complete, true)
    const file = await b.app.inject(`/attendance/exports/${id}/file`)
    t.equal(file.statusCode, 200, 'the other instance serves the file from Redis')
    t.equal(
      createHash('sha256').update(file.rawPayload).digest('hex'),
      job.file?.sha256,
      'the file as stored',
    )
    const lines = file.body.trim().split('\r\n')
    const dayRows = new Set(
      lines.slice(1).map((line) => {
        const [source, , userId, , workDate] = line.split(',')
        return `${source}/${userId}/${workDate}`
      }),
    )
    t.ok(
      dayRows.size >= 120 * 2,
      `a row for each of the 120 users × 2 days at least (${dayRows.size} distinct)`,
    )
  })
})
