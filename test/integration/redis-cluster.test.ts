// The service on a real 3-master Redis Cluster started by this test: the store's contract (every script
// and multi-key command lands in one slot, so none is refused with CROSSSLOT), and a query whose cache
// entries, of tenants spread over the three masters, are served from the cache on a repeat, and an export
// job run and downloaded on the cluster.
import { createHash } from 'node:crypto'
import t from 'tap'
import { resolveSource, type SourceConfig } from '../../src/config/source-config.js'
import { entryKey, hashKey, tenantTag } from '../../src/domain/cache/cache-keys.js'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import { type FeishuSimulator, startFeishuSimulator } from '../../src/simulators/index.js'
import { RedisStore } from '../../src/store/redis-store.js'
import type { SharedStore } from '../../src/store/shared-store.js'
import { startReplica, userList } from '../helpers/integration.js'
import { uniquePrefix } from '../helpers/redis.js'
import { redisCluster } from '../helpers/redis-topologies.js'

/** The window guard alone, at `limit` calls per `windowMs`; the admission without the rate it reports. */
async function admit(store: SharedStore, log: string, limit: number, windowMs: number) {
  const { rateInForce: _rate, ...admission } = await store.admitToWindow(
    { log, pace: `${log}:pace` },
    { ratePerSecond: limit, windowMs },
  )
  return admission
}

const HOUR_MS = 3_600_000

t.test('on a 3-master cluster', async (t) => {
  const cluster = await redisCluster(t)

  t.test('the store keeps its contract', async (t) => {
    const store = new RedisStore({ settings: cluster.settings, keyPrefix: uniquePrefix() })
    t.teardown(() => store.close())
    t.equal(await store.connected(5000), true, 'connected to the cluster')
    await store.ping()

    await store.set('a', 'one', HOUR_MS)
    t.equal(await store.get('a'), 'one')
    await store.delete('a')
    t.equal(await store.get('a'), null)

    t.equal(await store.setIfAbsent('lock', 'owner-1', HOUR_MS), true)
    t.equal(await store.setIfAbsent('lock', 'owner-2', HOUR_MS), false)
    t.equal(await store.extendIfEquals('lock', 'owner-2', HOUR_MS), false)
    t.equal(await store.extendIfEquals('lock', 'owner-1', 2 * HOUR_MS), true)
    t.equal(await store.deleteIfEquals('lock', 'owner-2'), false)
    t.equal(await store.deleteIfEquals('lock', 'owner-1'), true)

    // The limiter's script takes three keys at once: with one hash tag, no CROSSSLOT.
    const limiter = { slot: 'ratelimit:{app}', log: 'ratelimit:{app}:log', pace: 'ratelimit:{app}:pace' }
    const oneAMinute = { ratePerSecond: 1, windowMs: 60_000 }
    const reserved = await store.reserveSend(limiter, oneAMinute, HOUR_MS)
    t.same(
      [reserved.granted, reserved.waitMs, typeof reserved.ticket],
      [true, 0, 'string'],
      'reserved and admitted',
    )
    const second = await store.reserveSend(limiter, oneAMinute, HOUR_MS)
    t.ok(second.granted && second.waitMs > 59_000, `the next slot a minute later (${second.waitMs} ms)`)
    t.same(await store.slowDown(limiter.pace, oneAMinute, 1), { cut: true, rateInForce: 0.7 })

    const admitted = await admit(store, '{log}', 1, 60_000)
    t.equal(admitted.granted, true)
    await store.confirmSend('{log}', admitted.ticket as string)
    t.equal((await admit(store, '{log}', 1, 60_000)).granted, false, 'one a minute')

    t.equal(await store.increment('count', 2, HOUR_MS), 2)
    t.equal(await store.increment('count', 3, HOUR_MS), 5)

    const first = await store.logAppend('changes:{feed}', { userId: 'u1' }, HOUR_MS)
    await store.logAppend('changes:{feed}', { userId: 'u2' }, HOUR_MS)
    t.same(
      (await store.logRead('changes:{feed}', first, 10)).map((entry) => entry.fields.userId),
      ['u2'],
    )

    // An event's mark, feed entries and count: one script over keys of one hash tag.
    const once = {
      markKey: 'event:{feed}:e1',
      markTtlMs: HOUR_MS,
      log: { key: 'changes:{feed}', entries: [{ userId: 'u3' }], keepMs: HOUR_MS },
      counter: { key: 'pushes:{feed}', ttlMs: HOUR_MS },
    }
    t.equal(await store.recordOnce(once), 1)
    t.equal(await store.recordOnce(once), null, 'once')
    t.same(
      (await store.logRead('changes:{feed}', first, 10)).map((entry) => entry.fields.userId),
      ['u2', 'u3'],
    )

    await store.indexAddMany('index', ['a', 'b'], 1, HOUR_MS)
    await store.indexAdd('index', 'c', 2, HOUR_MS)
    await store.indexRemove('index', 'a')
    t.same(await store.indexRange('index', 10), ['c', 'b'])
    await store.indexTrim('index', 2)
    t.same(await store.indexRange('index', 10), ['c'])

    // A block's entries and hashes: thousands of keys of one tenant, one script call per thousand.
    const tag = 'tenant-a'
    const keys = userList('x', 600).flatMap((user) => [
      entryKey(tag, false, user, '2024-05-06'),
      hashKey(tag, false, user, '2024-05-06'),
    ])
    await store.putEntries(keys.map((key) => ({ key, value: `5|${key}`, generation: 5, ttlMs: HOUR_MS })))
    const older = keys.slice(0, 2).map((key) => ({ key, value: '4|old', generation: 4, ttlMs: HOUR_MS }))
    await store.putEntries(older)
    const values = await store.getEntries(keys)
    t.same(
      values,
      keys.map((key) => `5|${key}`),
      'all read back; an older generation did not overwrite',
    )

    // Why keys of one call share a tag: two tenants in one MGET is refused by a cluster.
    await t.rejects(
      store.getEntries([entryKey('tenant-a', false, 'u', 'd'), entryKey('tenant-b', false, 'u', 'd')]),
      /CROSSSLOT/,
    )
  })

  t.test('a query of tenants on all three masters is served from the cache on a repeat', async (t) => {
    // One Feishu simulator per tenant (each its own base URL, so its own tag), until the tenants' tags
    // cover every master.
    const tenants: { simulator: FeishuSimulator; source: SourceConfig; master: number }[] = []
    t.teardown(() => Promise.all(tenants.map(({ simulator }) => simulator.close())))
    while (new Set(tenants.map((tenant) => tenant.master)).size < cluster.masters.length) {
      if (tenants.length >= 40) throw new Error('40 tenants and still a master without one')
      const simulator = await startFeishuSimulator({ latencyMs: 5 })
      const id = `f${tenants.length}`
      const source = resolveSource({
        id,
        vendor: 'feishu',
        baseUrl: simulator.url,
        appId: simulator.credentials.appId,
        appSecret: simulator.credentials.appSecret,
        cacheTtlSeconds: 21_600,
      })
      const tag = tenantTag('feishu', source.baseUrl, simulator.credentials.appId)
      tenants.push({ simulator, source, master: await cluster.masterOf(`{${tag}}`) })
    }
    const prefix = uniquePrefix()
    const { app } = await startReplica(
      t,
      tenants.map((tenant) => tenant.source),
      { redisKeyPrefix: prefix, config: { redisUrl: undefined, redis: cluster.settings } },
    )
    const ready = await app.inject('/readyz')
    t.equal(ready.statusCode, 200, 'ready on the cluster')
    const payload = {
      from: '2024-05-06',
      to: '2024-05-10',
      users: tenants.flatMap((tenant) => userList(tenant.source.id, 30)),
    }
    const query = async () =>
      (await app.inject({ method: 'POST', url: '/attendance/results', payload })).json<AttendanceResponse>()
    const first = await query()
    t.equal(first.complete, true)
    t.equal(first.results.length, payload.users.length * 5)
    const calls = () => tenants.reduce((sum, tenant) => sum + tenant.simulator.counters().dataCalls, 0)
    const callsAfterFirst = calls()
    t.ok(callsAfterFirst > 0)

    const entries = await cluster.matchingPerMaster(`${prefix}day:*`)
    t.ok(
      entries.every((count) => count > 0),
      `every master holds cache entries (${entries.join(', ')} for ${tenants.length} tenants)`,
    )
    const perMaster = await cluster.keysPerMaster()
    t.ok(
      perMaster.every((count) => count > 0),
      `dbsize on each master: ${perMaster.join(', ')}`,
    )

    const again = await query()
    t.equal(again.complete, true)
    t.equal(calls(), callsAfterFirst, 'the repeat made no vendor call: served from the cache')
    t.same(again.results, first.results, 'the same answer')

    // An export job on the cluster: BullMQ under its hash-tagged prefix, the record and the file's chunks
    // under the job's tag. It runs from the cache, so no vendor call either.
    const created = await app.inject({
      method: 'POST',
      url: '/attendance/exports',
      payload: { ...payload, format: 'csv' },
    })
    t.equal(created.statusCode, 202, 'the export is queued on the cluster')
    const id = created.json<{ id: string }>().id
    let job = created.json<{
      status: string
      file: { sha256: string; bytes: number } | null
      complete: boolean
    }>()
    const deadline = Date.now() + 30_000
    while (job.status !== 'succeeded' && job.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      job = (await app.inject(`/attendance/exports/${id}`)).json()
    }
    t.equal(job.status, 'succeeded', 'the export job ran on the cluster')
    t.equal(job.complete, true)
    const file = await app.inject(`/attendance/exports/${id}/file`)
    t.equal(file.statusCode, 200)
    t.equal(
      createHash('sha256').update(file.rawPayload).digest('hex'),
      job.file?.sha256,
      'the file as stored',
    )
    const rows = file.body.trim().split('\r\n').length - 1
    t.ok(
      rows >= first.results.length,
      `a row per segment of each day (${rows} rows, ${first.results.length} days)`,
    )
    t.equal(calls(), callsAfterFirst, 'the export was served from the cache too')

    // The inbound rate limit (@fastify/rate-limit's one-key script) on the cluster: one budget for two.
    const limited = { redisUrl: undefined, redis: cluster.settings, rateLimitPerMinute: 3 }
    const sources = tenants.map((tenant) => tenant.source)
    const [c, d] = [
      await startReplica(t, sources, { redisKeyPrefix: prefix, config: limited }),
      await startReplica(t, sources, { redisKeyPrefix: prefix, config: limited }),
    ]
    const statuses = []
    for (const replica of [c, d, c, d]) statuses.push((await replica.app.inject('/sources')).statusCode)
    t.same(statuses, [200, 200, 200, 429], 'three a minute between the two instances, counted on the cluster')
    for (const tenant of tenants)
      t.equal(tenant.simulator.counters().tokenCalls, 1, `one token for ${tenant.source.id}`)
  })
})
