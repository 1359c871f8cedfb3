// The token cache with a counting token source, on real Redis: two providers on one Redis stand for two
// replicas. (The end-to-end version, against the simulators, is in test/integration.)
import t, { type Test } from 'tap'
import { RedisStore } from '../../../src/store/redis-store.js'
import { type FetchedToken, TokenProvider } from '../../../src/vendors/common/token-provider.js'
import { testRedisUrl, uniquePrefix } from '../../helpers/redis.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const far = () => Date.now() + 10_000
const never = new AbortController().signal

async function redisStore(t: Test, prefix = uniquePrefix()) {
  const store = new RedisStore({ url: testRedisUrl, keyPrefix: prefix })
  t.teardown(() => store.close())
  t.ok(await store.connected(), 'Redis answers')
  return store
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

t.test('a dead lock holder blocks the others no longer than the lock TTL', async (t) => {
  const store = await redisStore(t)
  // A replica took the lock and died before storing a token.
  await store.setIfAbsent('token:app:lock', 'dead-replica', 400)
  const source = countingSource({ delayMs: 0 })
  const provider = new TokenProvider({
    store,
    key: 'token:app',
    fetchToken: source.fetchToken,
    lockTtlMs: 400,
  })
  const started = Date.now()
  t.equal(await provider.get(never, far()), 't-1')
  const waited = Date.now() - started
  t.ok(waited >= 300 && waited < 1500, `waited ${waited} ms, about the lock TTL`)
})

t.test('the cached lifetime is the vendor’s minus the safety margin', async (t) => {
  const store = await redisStore(t)
  const source = countingSource({ lifetimeSeconds: 7200 })
  const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
  await provider.get(never, far())
  const cached = JSON.parse((await store.get('token:app')) ?? '{}') as {
    usableUntil: number
    refreshAt: number
  }
  const usableSeconds = (cached.usableUntil - Date.now()) / 1000
  t.ok(usableSeconds > 6890 && usableSeconds <= 6900, `usable for ${usableSeconds.toFixed(0)} s = 7200 − 300`)
  t.ok(cached.refreshAt < cached.usableUntil - 599_000, 'refreshed 10 minutes before that')
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
  'a token near its end is refreshed in the background; callers keep the valid one meanwhile',
  async (t) => {
    const store = await redisStore(t)
    const source = countingSource({ delayMs: 100, lifetimeSeconds: 4 })
    // 4 s lifetime with a 300 s margin keeps half of it usable (2 s) and refreshes after 1 s.
    const provider = new TokenProvider({ store, key: 'token:app', fetchToken: source.fetchToken })
    t.equal(await provider.get(never, far()), 't-1')
    await sleep(1100)
    const started = Date.now()
    t.equal(await provider.get(never, far()), 't-1', 'still served the valid token')
    t.ok(Date.now() - started < 50, 'without waiting for the refresh')
    await sleep(250)
    t.equal(await provider.get(never, far()), 't-2', 'the refreshed token is used from then on')
    t.equal(source.calls, 2)
  },
)

t.test('an expired token is never used: the next caller fetches a new one', async (t) => {
  const store = await redisStore(t)
  const source = countingSource({ delayMs: 0, lifetimeSeconds: 1 })
  const provider = new TokenProvider({
    store,
    key: 'token:app',
    fetchToken: source.fetchToken,
    refreshAheadSeconds: 0,
  })
  t.equal(await provider.get(never, far()), 't-1')
  await sleep(700)
  t.equal(await provider.get(never, far()), 't-2')
})
