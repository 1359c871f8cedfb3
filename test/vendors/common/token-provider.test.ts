// The token cache with token sources the tests control, on real Redis: two providers on one Redis stand
// for two replicas. Lifetimes are reckoned on a test clock that the tests move. (The end-to-end version,
// against the simulators, is in test/integration.)
import t, { type Test } from 'tap'
import { createTestClock } from '../../../src/platform/time/clock.js'
import { RedisStore } from '../../../src/store/redis-store.js'
import type { SharedStore } from '../../../src/store/shared-store.js'
import { type FetchedToken, TokenProvider } from '../../../src/vendors/common/token-provider.js'
import { VendorError } from '../../../src/vendors/common/vendor-error.js'
import { testRedisUrl, uniquePrefix } from '../../helpers/redis.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const far = () => Date.now() + 10_000
const never = new AbortController().signal
const T0 = Date.UTC(2024, 4, 6, 9, 0, 0)
const LOCK = 'token:app:lock'

async function redisStore(t: Test, prefix = uniquePrefix()) {
  const store = new RedisStore({ url: testRedisUrl, keyPrefix: prefix })
  t.teardown(() => store.close())
  t.ok(await store.connected(), 'Redis answers')
  return store
}

async function until(condition: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 15_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** How a promise ended, without letting a rejection escape: the value, or `{ rejected: reason }`. */
function outcome<T>(promise: Promise<T>) {
  const result: { settled: boolean; value?: T; rejected?: unknown } = { settled: false }
  const done = promise.then(
    (value) => Object.assign(result, { settled: true, value }),
    (rejected: unknown) => Object.assign(result, { settled: true, rejected }),
  )
  return { result, done }
}

function countingSource(options: { delayMs?: number; lifetimeSeconds?: number } = {}) {
  let issued = 0
  return {
    get calls() {
      return issued
    },
    fetchToken: async (): Promise<FetchedToken> => {
      issued++
      const token = `t-${issued}`
      await sleep(options.delayMs ?? 50)
      return { token, expiresInSeconds: options.lifetimeSeconds ?? 7200 }
    },
  }
}

/**
 * A token source that answers when the test says so. Like the real vendor call, a fetch gives up when its
 * signal aborts (with the signal's reason) or when its deadline passes (with TIMEOUT).
 */
function controlledSource(
  options: { lifetimeSeconds?: number; now?: () => number; honourDeadline?: boolean } = {},
) {
  const { lifetimeSeconds = 7200, now = Date.now, honourDeadline = true } = options
  const fetches: { signal: AbortSignal; finish: () => void }[] = []
  return {
    fetches,
    get calls() {
      return fetches.length
    },
    /** Answers the `index`-th fetch (0-based) with token `t-<index + 1>`. */
    finish(index: number) {
      const fetch = fetches[index]
      if (!fetch) throw new Error(`no fetch ${index} was started`)
      fetch.finish()
    },
    fetchToken: (signal: AbortSignal, deadline: number) =>
      new Promise<FetchedToken>((resolve, reject) => {
        const token = `t-${fetches.length + 1}`
        const stop = (error: unknown) => {
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
          reject(error)
        }
        const onAbort = () => stop(signal.reason)
        const timer = honourDeadline
          ? setTimeout(
              () => stop(new VendorError('TIMEOUT', 'the deadline passed during the token call')),
              Math.min(2 ** 31 - 1, Math.max(0, deadline - now())),
            )
          : undefined
        signal.addEventListener('abort', onAbort, { once: true })
        fetches.push({
          signal,
          finish: () => {
            clearTimeout(timer)
            signal.removeEventListener('abort', onAbort)
            resolve({ token, expiresInSeconds: lifetimeSeconds })
          },
        })
        if (signal.aborted) onAbort()
      }),
  }
}

/** The store as the provider sees it, counting how often the token lock was read (a waiter's polls). */
function countingLockReads(store: SharedStore) {
  const counter = { reads: 0 }
  const counted = new Proxy(store, {
    get(target, property) {
      if (property === 'get') {
        return (key: string) => {
          if (key.endsWith(':lock')) counter.reads++
          return target.get(key)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { counted, counter }
}

async function cachedEntry(store: SharedStore) {
  return JSON.parse((await store.get('token:app')) ?? 'null') as unknown
}

t.test('concurrent callers in one process share one fetch', async (t) => {
  const store = await redisStore(t)
  const source = countingSource()
  const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
  const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.get(never, far())))
  t.same(new Set(tokens), new Set(['t-1']))
  t.equal(source.calls, 1)
  t.equal(await provider.get(never, far()), 't-1', 'then it is served from the store')
  t.equal(source.calls, 1)
})

t.test('two replicas on one Redis fetch one token between them', async (t) => {
  const prefix = uniquePrefix()
  const [storeA, storeB] = [await redisStore(t, prefix), await redisStore(t, prefix)]
  const source = countingSource({ delayMs: 200 })
  const a = new TokenProvider({ store: storeA, key: 'token:app', fetchToken: source.fetchToken })
  const b = new TokenProvider({ store: storeB, key: 'token:app', fetchToken: source.fetchToken })
  const tokens = await Promise.all([
    a.get(never, far()),
    b.get(never, far()),
    a.get(never, far()),
    b.get(never, far()),
  ])
  t.same(new Set(tokens), new Set(['t-1']))
  t.equal(source.calls, 1, 'the replica without the lock waited for the other one’s token')
})

t.test(
  'a caller that aborts gets its own reason at once; the shared fetch goes on for the others',
  async (t) => {
    const store = await redisStore(t)
    const source = controlledSource()
    const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
    const gone = new AbortController()
    const first = outcome(provider.get(gone.signal, far()))
    const second = outcome(provider.get(never, far()))
    await until(() => source.calls === 1, 'the fetch to start')
    const reason = new Error('the first client went away')
    gone.abort(reason)
    await first.done
    t.equal(first.result.rejected, reason, 'the first caller gets its own abort reason')
    t.equal(second.result.settled, false, 'the second caller still waits')
    t.equal(source.fetches[0]?.signal.aborted, false, 'the shared fetch was not aborted')
    source.finish(0)
    await second.done
    t.same(second.result, { settled: true, value: 't-1' })
    t.equal(await provider.get(never, far()), 't-1', 'the token was stored for later callers')
    t.equal(source.calls, 1)
  },
)

t.test('a caller whose deadline passes gets TIMEOUT; the shared fetch goes on for the others', async (t) => {
  const store = await redisStore(t)
  const source = controlledSource()
  const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
  const hurried = outcome(provider.get(never, Date.now() + 30))
  const patient = outcome(provider.get(never, far()))
  await until(() => source.calls === 1, 'the fetch to start')
  await hurried.done
  t.ok(hurried.result.rejected instanceof VendorError)
  t.match(hurried.result.rejected, {
    code: 'TIMEOUT',
    message: 'the query deadline passed before a token was available',
  })
  t.equal(patient.result.settled, false, 'the other caller still waits')
  source.finish(0)
  await patient.done
  t.same(patient.result, { settled: true, value: 't-1' })
  t.equal(source.calls, 1)
})

t.test('the shared fetch has its own timeout; the next caller starts a new fetch', async (t) => {
  const store = await redisStore(t)
  // Only the provider's own timeout stops this fetch.
  const source = controlledSource({ honourDeadline: false })
  const provider = new TokenProvider({
    store,
    key: 'token:app',
    fetchTimeoutMs: 100,
    fetchToken: source.fetchToken,
  })
  const waiting = outcome(provider.get(never, far()))
  await waiting.done
  t.ok(waiting.result.rejected instanceof VendorError)
  t.match(waiting.result.rejected, {
    code: 'TIMEOUT',
    message: 'the token fetch did not finish within 100 ms',
  })
  t.equal(source.fetches[0]?.signal.aborted, true, 'the vendor call was stopped')
  t.equal(await store.get(LOCK), null, 'the lock was released')
  const next = outcome(provider.get(never, far()))
  await until(() => source.calls === 2, 'a new fetch')
  source.finish(1)
  await next.done
  t.same(next.result, { settled: true, value: 't-2' })
})

t.test(
  'the lock holder keeps its lock through a slow fetch: the other replica waits for its token',
  async (t) => {
    const prefix = uniquePrefix()
    const [storeA, storeB] = [await redisStore(t, prefix), await redisStore(t, prefix)]
    const source = controlledSource()
    const options = { key: 'token:app', fetchToken: source.fetchToken, lockTtlMs: 300 }
    const a = new TokenProvider({ store: storeA, ...options })
    const b = new TokenProvider({ store: storeB, ...options })
    const fromA = outcome(a.get(never, far()))
    await until(() => source.calls === 1, 'replica A to start fetching')
    const holder = await storeA.get(LOCK)
    t.type(holder, 'string', 'replica A holds the lock')
    const fromB = outcome(b.get(never, far()))
    // The vendor takes several lock lifetimes to answer.
    await sleep(1200)
    t.equal(source.calls, 1, 'replica B did not start a fetch of its own')
    t.equal(await storeB.get(LOCK), holder, 'the lock is still replica A’s')
    source.finish(0)
    await Promise.all([fromA.done, fromB.done])
    t.same(
      [fromA.result, fromB.result],
      [
        { settled: true, value: 't-1' },
        { settled: true, value: 't-1' },
      ],
    )
    t.equal(source.calls, 1)
    t.equal(await storeA.get(LOCK), null, 'released once the token was stored')
  },
)

t.test(
  'a dead lock holder blocks the others until its lock lapses; then one of them fetches under its own lock',
  async (t) => {
    const store = await redisStore(t)
    // A replica took the lock and died before storing a token.
    await store.setIfAbsent(LOCK, 'dead-replica', 400)
    let lockDuringFetch: string | null = 'not fetched'
    const provider = new TokenProvider({
      store,
      key: 'token:app',
      lockTtlMs: 400,
      fetchToken: async () => {
        lockDuringFetch = await store.get(LOCK)
        return { token: 't-1', expiresInSeconds: 7200 }
      },
    })
    t.equal(await provider.get(never, far()), 't-1')
    t.not(lockDuringFetch, 'dead-replica', 'it never fetched while the dead replica’s lock stood')
    t.match(lockDuringFetch, /^[0-9a-f-]{36}$/, 'it fetched holding a lock of its own')
    t.equal(await store.get(LOCK), null, 'and released it')
  },
)

t.test(
  'a waiter gives up at its fetch deadline on the clock while another replica holds the lock',
  async (t) => {
    const store = await redisStore(t)
    // Another replica holds the lock throughout (it stays alive, so the lock does not lapse).
    await store.setIfAbsent(LOCK, 'busy-replica', 120_000)
    const clock = createTestClock(T0)
    const { counted, counter } = countingLockReads(store)
    const source = countingSource({ delayMs: 0 })
    const provider = new TokenProvider({
      store: counted,
      key: 'token:app',
      fetchToken: source.fetchToken,
      fetchTimeoutMs: 60_000,
      clock,
    })
    const waiting = outcome(provider.get(never, T0 + 100_000))
    await until(() => counter.reads >= 2, 'the waiter to poll the lock')
    clock.advance(59_999)
    const seen = counter.reads
    await until(() => counter.reads >= seen + 2, 'the waiter to poll again')
    t.equal(waiting.result.settled, false, 'still waiting 1 ms before the deadline')
    clock.advance(1)
    await waiting.done
    t.ok(waiting.result.rejected instanceof VendorError)
    t.match(waiting.result.rejected, {
      code: 'TIMEOUT',
      message: 'the token fetch did not finish within 60000 ms',
    })
    t.equal(source.calls, 0, 'it never fetched beside the lock holder')
  },
)

t.test(
  'the cached lifetime is the vendor’s minus the safety margin, refreshed 10 minutes ahead',
  async (t) => {
    const store = await redisStore(t)
    const clock = createTestClock(T0)
    const source = countingSource({ delayMs: 0, lifetimeSeconds: 7200 })
    const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken, clock })
    t.equal(await provider.get(never, far()), 't-1')
    t.same(await cachedEntry(store), {
      token: 't-1',
      usableUntil: T0 + (7200 - 300) * 1000,
      refreshAt: T0 + (7200 - 300 - 600) * 1000,
    })
  },
)

t.test('safetyMarginSeconds and refreshAheadSeconds set when a token is refreshed and dropped', async (t) => {
  const store = await redisStore(t)
  const clock = createTestClock(T0)
  const source = controlledSource({ lifetimeSeconds: 3600, now: clock.now })
  const provider = new TokenProvider({
    store,
    key: 'token:app',
    fetchToken: source.fetchToken,
    clock,
    safetyMarginSeconds: 120,
    refreshAheadSeconds: 60,
  })
  const first = outcome(provider.get(never, far()))
  await until(() => source.calls === 1, 'the first fetch')
  source.finish(0)
  await first.done
  t.same(await cachedEntry(store), { token: 't-1', usableUntil: T0 + 3_480_000, refreshAt: T0 + 3_420_000 })

  clock.advance(3_419_999)
  t.equal(await provider.get(never, far()), 't-1')
  t.equal(source.calls, 1, '1 ms before refreshAt: no refresh')

  clock.advance(1)
  t.equal(await provider.get(never, far()), 't-1', 'at refreshAt the valid token is served at once…')
  await until(() => source.calls === 2, '…and a refresh starts')
  t.equal(await provider.get(never, far()), 't-1', 'callers keep the valid token while it runs')
  t.equal(source.calls, 2, 'one refresh for everybody')
  source.finish(1)
  await until(async () => (await provider.get(never, far())) === 't-2', 'the refreshed token')
  t.same(await cachedEntry(store), {
    token: 't-2',
    usableUntil: T0 + 3_420_000 + 3_480_000,
    refreshAt: T0 + 3_420_000 + 3_420_000,
  })
  t.equal(source.calls, 2)
})

t.test('a token is not used from usableUntil on: the next caller waits for a new one', async (t) => {
  const store = await redisStore(t)
  const clock = createTestClock(T0)
  const source = controlledSource({ now: clock.now })
  const provider = new TokenProvider({
    store,
    key: 'token:app',
    fetchToken: source.fetchToken,
    clock,
    refreshAheadSeconds: 0,
  })
  const first = outcome(provider.get(never, far()))
  await until(() => source.calls === 1, 'the first fetch')
  source.finish(0)
  await first.done
  t.same(await cachedEntry(store), { token: 't-1', usableUntil: T0 + 6_900_000, refreshAt: T0 + 6_900_000 })

  clock.advance(6_899_999)
  t.equal(await provider.get(never, far()), 't-1', 'usable until its last ms')
  t.equal(source.calls, 1, 'without a refresh ahead')

  clock.advance(1)
  const next = outcome(provider.get(never, far()))
  await until(() => source.calls === 2, 'a new fetch')
  t.equal(next.result.settled, false, 'the expired token is not served meanwhile')
  source.finish(1)
  await next.done
  t.same(next.result, { settled: true, value: 't-2' })
})

t.test('a lifetime shorter than twice the margin keeps half of it usable', async (t) => {
  const store = await redisStore(t)
  const clock = createTestClock(T0)
  const source = countingSource({ delayMs: 0, lifetimeSeconds: 400 })
  const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken, clock })
  t.equal(await provider.get(never, far()), 't-1')
  // 400 s with a 300 s margin: 200 s usable, refreshed after 100 s (half of it).
  t.same(await cachedEntry(store), { token: 't-1', usableUntil: T0 + 200_000, refreshAt: T0 + 100_000 })
})

t.test('invalidate drops the token only while it is still the one that failed', async (t) => {
  const store = await redisStore(t)
  const source = countingSource({ delayMs: 0 })
  const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
  t.equal(await provider.get(never, far()), 't-1')
  await provider.invalidate('t-0-some-older-token')
  t.equal(await provider.get(never, far()), 't-1', 'a stale invalidation does not drop the current token')
  await provider.invalidate('t-1')
  t.equal(await provider.get(never, far()), 't-2', 'the failed token is replaced')
  t.equal(source.calls, 2)
})

t.test(
  'a token read within the last second is used without a store read; after that it is read again',
  async (t) => {
    const store = await redisStore(t)
    const clock = createTestClock(T0)
    let reads = 0
    const counting = Object.assign(Object.create(store) as RedisStore, {
      get: (key: string) => {
        reads++
        return store.get(key)
      },
    })
    const source = countingSource({ delayMs: 0 })
    const provider = new TokenProvider({
      store: counting,
      key: 'token:app',
      fetchToken: source.fetchToken,
      clock,
    })
    const other = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken, clock })
    t.equal(await other.get(never, far()), 't-1', 'another replica fetched and stored it')
    t.equal(await provider.get(never, far()), 't-1')
    const afterFirst = reads
    clock.advance(999)
    t.equal(await provider.get(never, far()), 't-1')
    t.equal(reads, afterFirst, 'within 1 s: the local copy, no store read')
    await other.invalidate('t-1')
    t.equal(await other.get(never, far()), 't-2', 'the other replica replaced it (the vendor refused t-1)')
    clock.advance(1)
    t.equal(await provider.get(never, far()), 't-2', 'a second after the read, the store is read again')
    t.equal(reads, afterFirst + 1)
    await provider.invalidate('t-2')
    t.equal(source.calls, 2, 'no fetch yet')
    t.equal(await provider.get(never, far()), 't-3', 'an invalidated local copy is never used again')
  },
)

t.test(
  'a read racing an invalidation does not bring the rejected token back through the local copy',
  async (t) => {
    const store = await redisStore(t)
    const clock = createTestClock(T0)
    const slowDelete = Object.assign(Object.create(store) as RedisStore, {
      deleteIfEquals: async (key: string, expected: string) => {
        await sleep(50)
        return store.deleteIfEquals(key, expected)
      },
    })
    const source = countingSource({ delayMs: 0 })
    const provider = new TokenProvider({
      store: slowDelete,
      key: 'token:app',
      fetchToken: source.fetchToken,
      clock,
    })
    t.equal(await provider.get(never, far()), 't-1')
    const invalidating = provider.invalidate('t-1')
    // Another call reads while the deletion is on its way: the store still holds t-1.
    t.equal(await provider.get(never, far()), 't-1', 'the racing read still finds it in the store')
    await invalidating
    t.equal(await provider.get(never, far()), 't-2', 'the retry after the invalidation gets a new token')
  },
)
