// The same contract, run against both implementations: process memory and real Redis.
import t from 'tap'
import { MemoryStore } from '../../src/store/memory-store.js'
import { RedisStore } from '../../src/store/redis-store.js'
import type { SharedStore } from '../../src/store/shared-store.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const implementations: [string, () => Promise<SharedStore>][] = [
  ['memory', async () => new MemoryStore()],
  [
    'redis',
    async () => {
      const store = new RedisStore({ url: testRedisUrl, keyPrefix: uniquePrefix() })
      if (!(await store.connected())) throw new Error(`no Redis at ${testRedisUrl}`)
      return store
    },
  ],
]

for (const [name, create] of implementations) {
  t.test(name, async (t) => {
    const store = await create()
    t.teardown(() => store.close())
    t.equal(store.kind, name)

    t.test('values expire after their TTL', async (t) => {
      await store.set('a', 'one', 150)
      t.equal(await store.get('a'), 'one')
      t.equal(await store.get('missing'), null)
      await sleep(250)
      t.equal(await store.get('a'), null)
    })

    t.test('delete removes a value', async (t) => {
      await store.set('b', 'two', 10_000)
      await store.delete('b')
      t.equal(await store.get('b'), null)
    })

    t.test('setIfAbsent is a lock: only the first caller gets it, until it expires', async (t) => {
      t.equal(await store.setIfAbsent('lock', 'owner-1', 200), true)
      t.equal(await store.setIfAbsent('lock', 'owner-2', 200), false)
      t.equal(await store.get('lock'), 'owner-1')
      await sleep(300)
      t.equal(await store.setIfAbsent('lock', 'owner-2', 200), true)
    })

    t.test('deleteIfEquals releases only for the owner', async (t) => {
      await store.set('owned', 'owner-1', 10_000)
      t.equal(await store.deleteIfEquals('owned', 'owner-2'), false)
      t.equal(await store.get('owned'), 'owner-1')
      t.equal(await store.deleteIfEquals('owned', 'owner-1'), true)
      t.equal(await store.get('owned'), null)
      t.equal(await store.deleteIfEquals('owned', 'owner-1'), false)
    })

    t.test('reserveSlot spaces slots by the interval, in order, and refuses beyond maxWait', async (t) => {
      const waits: number[] = []
      for (let i = 0; i < 5; i++) {
        const reservation = await store.reserveSlot('limiter', 100, 10_000)
        t.equal(reservation.granted, true)
        waits.push(reservation.waitMs)
      }
      // Reserved back to back: each slot is one interval after the previous one (give or take the
      // time the calls themselves took).
      t.ok(waits[0] !== undefined && waits[0] <= 5, `first slot is now (waited ${waits[0]})`)
      for (let i = 1; i < waits.length; i++) {
        const gap = (waits[i] ?? 0) - (waits[i - 1] ?? 0)
        t.ok(gap > 85 && gap <= 100, `slot ${i} comes one interval later (gap ${gap.toFixed(1)} ms)`)
      }
      const refused = await store.reserveSlot('limiter', 100, 50)
      t.equal(refused.granted, false)
      t.ok(refused.waitMs > 300, 'a refusal says how far away the next slot is')
      // A refusal reserves nothing: the next caller gets the same slot the refused one was offered.
      const next = await store.reserveSlot('limiter', 100, 10_000)
      t.ok(Math.abs(next.waitMs - refused.waitMs) < 20)
    })

    t.test('keys of different limiters do not interfere', async (t) => {
      await store.reserveSlot('limiter-a', 1000, 10_000)
      const other = await store.reserveSlot('limiter-b', 1000, 10_000)
      t.ok(other.waitMs < 5)
    })

    t.test('admitToWindow admits at most `limit` in any window, and says when a place frees', async (t) => {
      const admitted: boolean[] = []
      for (let i = 0; i < 5; i++) admitted.push((await store.admitToWindow('log', 3, 300)).granted)
      t.same(admitted, [true, true, true, false, false])
      const refused = await store.admitToWindow('log', 3, 300)
      t.ok(
        refused.waitMs > 200 && refused.waitMs <= 300,
        `the oldest leaves in ${refused.waitMs.toFixed(0)} ms`,
      )
      await sleep(refused.waitMs + 10)
      t.equal((await store.admitToWindow('log', 3, 300)).granted, true, 'a place has freed')
    })

    t.test('ping answers', async (t) => {
      await t.resolves(store.ping())
    })
  })
}
