// The same contract, run against both implementations: process memory and real Redis. Nothing here depends
// on how fast the machine is: expiry is awaited by polling, and each slot wait is checked against bounds
// taken from this process's clock around the calls. The exact arithmetic on time is in memory-store.test.ts.
import type { Test } from 'tap'
import t from 'tap'
import { MemoryStore } from '../../src/store/memory-store.js'
import { RedisStore } from '../../src/store/redis-store.js'
import type { SharedStore } from '../../src/store/shared-store.js'
import { until } from '../faults/helpers.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'

/** The window guard alone, at `limit` calls per `windowMs`; the admission without the rate it reports. */
async function admit(store: SharedStore, log: string, limit: number, windowMs: number) {
  const { rateInForce: _rate, ...admission } = await store.admitToWindow(
    { log, pace: `${log}:pace` },
    { ratePerSecond: limit, windowMs },
  )
  return admission
}

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

// Long enough that no machine takes it between two calls of one test, so the schedules below never run dry.
const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const ONE_A_MINUTE = { ratePerSecond: 1, windowMs: MINUTE_MS }
// The three keys one limiter script touches share a hash tag, as the adapters' do.
const limiterKeys = (name: string) => ({ slot: `{${name}}`, log: `{${name}}:log`, pace: `{${name}}:pace` })
const slotOf = ({ granted, waitMs }: { granted: boolean; waitMs: number }) => ({ granted, waitMs })
// Redis counts in whole µs on its wall clock, this process in fractional ms on its monotonic one.
const ROUNDING_MS = 1

interface Call<T> {
  value: T
  sentAt: number
  receivedAt: number
}

/** Runs `call`, noting this process's monotonic time just before and just after it. */
async function bracketed<T>(call: () => Promise<T>): Promise<Call<T>> {
  const sentAt = performance.now()
  const value = await call()
  return { value, sentAt, receivedAt: performance.now() }
}

/**
 * The store read its clock once during `first` and once during `call`, so the time between the two readings
 * lies between (call.sentAt - first.receivedAt) and (call.receivedAt - first.sentAt). A moment `dueMs` after
 * the first reading is therefore, seen from the second, a wait within these bounds.
 */
function assertWait(
  t: Test,
  what: string,
  waitMs: number,
  dueMs: number,
  first: Call<unknown>,
  call: Call<unknown>,
) {
  const low = dueMs - (call.receivedAt - first.sentAt) - ROUNDING_MS
  const high = dueMs - Math.max(0, call.sentAt - first.receivedAt) + ROUNDING_MS
  t.ok(
    waitMs >= low && waitMs <= high,
    `${what} (waits ${waitMs} ms, in [${low.toFixed(3)}, ${high.toFixed(3)}])`,
  )
}

for (const [name, create] of implementations) {
  t.test(name, async (t) => {
    const store = await create()
    t.teardown(() => store.close())
    t.equal(store.kind, name)

    t.test('values expire after their TTL, and not before', async (t) => {
      await store.set('long', 'two', HOUR_MS)
      await store.set('short', 'one', 50)
      t.equal(await store.get('missing'), null)
      await until(async () => (await store.get('short')) === null, 'the 50 ms value to expire')
      t.equal(await store.get('long'), 'two', 'the value set at the same time with a long TTL is there')
    })

    t.test('an index lists its members by score, highest first, and expires as a whole', async (t) => {
      await store.indexAdd('jobs', 'old', 1, HOUR_MS)
      await store.indexAdd('jobs', 'new', 3, HOUR_MS)
      await store.indexAdd('jobs', 'middle', 2, HOUR_MS)
      t.same(await store.indexRange('jobs', 10), ['new', 'middle', 'old'])
      t.same(await store.indexRange('jobs', 2), ['new', 'middle'], 'at most `limit`')
      await store.indexAdd('jobs', 'old', 4, HOUR_MS)
      t.same(await store.indexRange('jobs', 10), ['old', 'new', 'middle'], 're-adding re-scores')
      await store.indexRemove('jobs', 'new')
      t.same(await store.indexRange('jobs', 10), ['old', 'middle'])
      t.same(await store.indexRange('nothing', 10), [])
      await store.indexAddMany('many', ['a', 'b', 'c'], 5, HOUR_MS)
      await store.indexAddMany('many', ['d'], 9, HOUR_MS)
      t.same(await store.indexRange('many', 10), ['d', 'c', 'b', 'a'], 'many at once, same score')
      await store.indexTrim('many', 6)
      t.same(await store.indexRange('many', 10), ['d'], 'trimmed below a score')
      await store.indexAdd('brief', 'a', 1, 50)
      await until(async () => (await store.indexRange('brief', 10)).length === 0, 'the index to expire')
    })

    t.test(
      'a log keeps entries in order, reads after a cursor, and drops what is older than keepMs',
      async (t) => {
        const first = await store.logAppend('changes', { userId: 'u1', workDate: '2024-05-06' }, HOUR_MS)
        const second = await store.logAppend('changes', { userId: 'u2', workDate: '2024-05-07' }, HOUR_MS)
        const third = await store.logAppend('changes', { userId: 'u3', workDate: '2024-05-08' }, HOUR_MS)
        t.match(first, /^\d+-\d+$/)
        const all = await store.logRead('changes', null, 10)
        t.same(
          all.map((entry) => entry.id),
          [first, second, third],
          'oldest first, ids in order',
        )
        t.same(all[0]?.fields, { userId: 'u1', workDate: '2024-05-06' })
        t.same(
          (await store.logRead('changes', first, 10)).map((entry) => entry.fields.userId),
          ['u2', 'u3'],
          'after a cursor, exclusive',
        )
        t.same(
          (await store.logRead('changes', null, 2)).map((entry) => entry.id),
          [first, second],
          'at most limit',
        )
        t.same(await store.logRead('changes', third, 10), [])
        t.same(await store.logRead('none', null, 10), [])
      },
    )

    t.test('recordOnce: the mark, the log entries and the count in one step, once', async (t) => {
      const record = {
        markKey: 'event:{s1}:e1',
        markTtlMs: HOUR_MS,
        log: {
          key: 'changes:{s1}',
          entries: [
            { userId: 'u1', workDate: '2024-05-06', reason: 'event' },
            { userId: 'u1', workDate: '2024-05-07', reason: 'event' },
          ],
          keepMs: HOUR_MS,
        },
        counter: { key: 'pushes:{s1}', ttlMs: HOUR_MS },
      }
      t.equal(await store.recordOnce(record), 1, 'the first record counts one')
      t.equal(await store.recordOnce(record), null, 'the same mark again: nothing')
      const entries = await store.logRead('changes:{s1}', null, 10)
      t.same(
        entries.map((entry) => entry.fields),
        record.log.entries,
        'the entries once, in order, fields as given',
      )
      t.ok(entries.every((entry) => /^\d+-\d+$/.test(entry.id)))
      t.equal(await store.get('pushes:{s1}'), '1', 'counted once')
      t.equal(
        await store.recordOnce({ ...record, markKey: 'event:{s1}:e2', log: { ...record.log, entries: [] } }),
        2,
        'another mark with no entries: counted, nothing listed',
      )
      t.equal((await store.logRead('changes:{s1}', null, 10)).length, 2)
      t.equal(await store.recordOnce({ markKey: 'event:{s1}:e3', markTtlMs: 50 }), 0, 'without a counter: 0')
      await until(
        async () => (await store.recordOnce({ markKey: 'event:{s1}:e3', markTtlMs: 50 })) === 0,
        'the mark to expire, and a record to be made again',
      )
    })

    t.test('delete removes a value', async (t) => {
      await store.set('b', 'two', HOUR_MS)
      await store.delete('b')
      t.equal(await store.get('b'), null)
    })

    t.test('setIfAbsent is a lock: only the first caller gets it, until it expires', async (t) => {
      t.equal(await store.setIfAbsent('lock', 'owner-1', HOUR_MS), true)
      t.equal(await store.setIfAbsent('lock', 'owner-2', HOUR_MS), false)
      t.equal(await store.get('lock'), 'owner-1')
      t.equal(await store.setIfAbsent('brief-lock', 'owner-1', 50), true)
      await until(() => store.setIfAbsent('brief-lock', 'owner-2', HOUR_MS), 'the 50 ms lock to expire')
      t.equal(await store.get('brief-lock'), 'owner-2')
    })

    t.test('deleteIfEquals releases only for the owner', async (t) => {
      await store.set('owned', 'owner-1', HOUR_MS)
      t.equal(await store.deleteIfEquals('owned', 'owner-2'), false)
      t.equal(await store.get('owned'), 'owner-1')
      t.equal(await store.deleteIfEquals('owned', 'owner-1'), true)
      t.equal(await store.get('owned'), null)
      t.equal(await store.deleteIfEquals('owned', 'owner-1'), false)
    })

    t.test('extendIfEquals sets a new lifetime for the owner only', async (t) => {
      await store.set('held', 'owner-1', HOUR_MS)
      t.equal(await store.extendIfEquals('held', 'owner-2', 50), false, 'not for another owner')
      t.equal(await store.extendIfEquals('missing', 'owner-1', 50), false, 'not for a missing key')
      t.equal(await store.get('missing'), null, 'and it creates nothing')
      t.equal(await store.extendIfEquals('held', 'owner-1', 2 * HOUR_MS), true)
      t.equal(await store.get('held'), 'owner-1', 'the value is kept')
      t.equal(await store.extendIfEquals('held', 'owner-1', 50), true)
      // The new lifetime replaces the old one (it is not added to it): an hour cut to 50 ms ends.
      await until(async () => (await store.get('held')) === null, 'the lifetime cut to 50 ms to end')
      t.equal(await store.extendIfEquals('held', 'owner-1', HOUR_MS), false, 'an expired key stays gone')
    })

    t.test('reserveSend spaces slots by window / rate, in order, and refuses beyond maxWait', async (t) => {
      // One a minute: slots a minute apart.
      const reserve = (maxWaitMs: number) =>
        bracketed(() => store.reserveSend(limiterKeys('limiter'), ONE_A_MINUTE, maxWaitMs))
      const first = await reserve(HOUR_MS)
      t.same(slotOf(first.value), { granted: true, waitMs: 0 }, 'the first slot is now')
      t.type(first.value.ticket, 'string', 'and it was admitted to the window in the same step')
      t.equal(first.value.rateInForce, 1, 'at the configured rate')
      for (let i = 1; i < 5; i++) {
        const call = await reserve(HOUR_MS)
        t.equal(call.value.granted, true)
        t.equal(call.value.ticket, undefined, 'a later slot is admitted when it comes')
        assertWait(
          t,
          `slot ${i} comes ${i} intervals after the first`,
          call.value.waitMs,
          i * MINUTE_MS,
          first,
          call,
        )
      }
      const refused = await reserve(4 * MINUTE_MS)
      t.equal(refused.value.granted, false)
      assertWait(
        t,
        'a refusal says when the next slot is',
        refused.value.waitMs,
        5 * MINUTE_MS,
        first,
        refused,
      )
      // A refusal reserves nothing: the next caller gets the slot the refused one was offered.
      const next = await reserve(HOUR_MS)
      t.equal(next.value.granted, true)
      assertWait(t, 'the next caller gets that slot', next.value.waitMs, 5 * MINUTE_MS, first, next)
    })

    t.test('keys of different limiters do not interfere', async (t) => {
      await store.reserveSend(limiterKeys('limiter-a'), ONE_A_MINUTE, HOUR_MS)
      t.same(slotOf(await store.reserveSend(limiterKeys('limiter-b'), ONE_A_MINUTE, HOUR_MS)), {
        granted: true,
        waitMs: 0,
      })
    })

    t.test('slowDown cuts the rate in force once per burst; reservations follow it', async (t) => {
      const keys = limiterKeys('paced')
      const pace = { ratePerSecond: 20, windowMs: MINUTE_MS }
      t.equal(await store.paceInForce(keys.pace, pace), 20, 'the configured rate until a refusal')
      const cut = await store.slowDown(keys.pace, pace, 20)
      t.equal(cut.cut, true)
      t.equal(cut.rateInForce, 14, '70% of the rate the refused call was paced at')
      const again = await store.slowDown(keys.pace, pace, 20)
      t.equal(again.cut, false, 'a refusal of a call paced before the cut makes no second cut')
      // It climbs 0.4 a second: a test takes far less than the second that would show as 0.4.
      t.ok(Math.abs(again.rateInForce - 14) < 0.1, `still about 14 (${again.rateInForce})`)
      const first = await bracketed(() => store.reserveSend(keys, pace, HOUR_MS))
      const reservation = first.value
      t.ok(Math.abs(reservation.rateInForce - 14) < 0.1, 'reservations read the rate in force')
      const second = await bracketed(() => store.reserveSend(keys, pace, HOUR_MS))
      // The slot is one interval after the first, at the rate in force (which climbs back a little between
      // the two readings), seen from the second reading: as assertWait, for each rate read.
      const rates = [reservation.rateInForce, second.value.rateInForce]
      const low = MINUTE_MS / Math.max(...rates) - (second.receivedAt - first.sentAt) - ROUNDING_MS
      const high =
        MINUTE_MS / Math.min(...rates) - Math.max(0, second.sentAt - first.receivedAt) + ROUNDING_MS
      t.ok(
        second.value.waitMs >= low && second.value.waitMs <= high,
        `slots spaced window / rate in force apart (waits ${second.value.waitMs} ms, in [${low.toFixed(3)}, ${high.toFixed(3)}])`,
      )
      t.equal((await store.slowDown(keys.pace, pace, 14)).cut, true, 'a call paced at 14 refused: cut again')
      t.ok(Math.abs((await store.paceInForce(keys.pace, pace)) - 9.8) < 0.1, 'to 70% of 14')
    })

    t.test('admitToWindow admits at most `limit` in any window, and says when a place frees', async (t) => {
      const first = await bracketed(() => admit(store, 'log', 3, MINUTE_MS))
      const admitted = [first.value.granted]
      for (let i = 1; i < 5; i++) admitted.push((await admit(store, 'log', 3, MINUTE_MS)).granted)
      t.same(admitted, [true, true, true, false, false])
      const refused = await bracketed(() => admit(store, 'log', 3, MINUTE_MS))
      t.equal(refused.value.granted, false)
      t.equal(refused.value.ticket, undefined, 'a refusal has no ticket')
      assertWait(
        t,
        'the oldest leaves a window after it came',
        refused.value.waitMs,
        MINUTE_MS,
        first,
        refused,
      )
      t.equal((await admit(store, 'brief-log', 1, 50)).granted, true)
      await until(async () => (await admit(store, 'brief-log', 1, 50)).granted, 'a place to free')
    })

    t.test('confirmSend accepts an admitted ticket and ignores an unknown one', async (t) => {
      const admitted = await admit(store, 'sent-log', 1, MINUTE_MS)
      t.type(admitted.ticket, 'string')
      await t.resolves(store.confirmSend('sent-log', admitted.ticket as string))
      await t.resolves(store.confirmSend('sent-log', 'not-a-ticket'))
      t.equal((await admit(store, 'sent-log', 1, MINUTE_MS)).granted, false, 'the send still counts')
    })

    t.test('incrementUnless counts until its flag is set, and counts nothing then', async (t) => {
      t.equal(await store.incrementUnless('{acct}:data', '{acct}:spent', 1, HOUR_MS), 1)
      t.equal(await store.incrementUnless('{acct}:data', '{acct}:spent', 2, HOUR_MS), 3)
      await store.set('{acct}:spent', '1', HOUR_MS)
      t.equal(
        await store.incrementUnless('{acct}:data', '{acct}:spent', 1, HOUR_MS),
        null,
        'flag set: refused',
      )
      t.equal(await store.increment('{acct}:data', 0, HOUR_MS), 3, 'and the counter was left alone')
    })

    t.test('ping answers', async (t) => {
      await t.resolves(store.ping())
    })
  })
}
