// The result cache's arithmetic on a test clock and the in-memory store: settled and recent TTLs, dates
// after today, maxAge, the generation rule (an older fetch never overwrites a newer one), tenants kept
// apart, the memory bound, and the lease that makes a second query wait for the first one's fetch.
import t from 'tap'
import { dayKey } from '../../src/domain/attendance/day-cache.js'
import { entryKey, tenantTag } from '../../src/domain/cache/cache-keys.js'
import { entryTtlMs } from '../../src/domain/cache/freshness.js'
import { StoreDayCache } from '../../src/domain/cache/store-day-cache.js'
import { createTestClock } from '../../src/platform/time/clock.js'
import { parseWorkDate } from '../../src/platform/time/work-date.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import { MemoryStore } from '../../src/store/memory-store.js'

const policy = { ttlSeconds: 21_600, recentTtlSeconds: 300, settleDays: 3 }
const day = (epoch: string) => parseWorkDate(epoch) as number
// 2024-06-10 12:00 in Shanghai.
const NOON = Date.parse('2024-06-10T12:00:00+08:00')

t.test(
  'settled days keep ttlSeconds, the last settleDays and today recentTtlSeconds, the future nothing',
  async (t) => {
    const today = day('2024-06-10')
    t.equal(entryTtlMs(day('2024-06-06'), today, policy), 21_600_000, '4 days back: settled')
    t.equal(entryTtlMs(day('2024-06-07'), today, policy), 300_000, '3 days back: still recent')
    t.equal(entryTtlMs(today, today, policy), 300_000, 'today')
    t.equal(entryTtlMs(day('2024-06-11'), today, policy), 0, 'tomorrow is never kept')
    t.equal(entryTtlMs(day('2024-01-01'), today, { ...policy, ttlSeconds: 0 }), 0, 'cacheTtlSeconds 0: off')
  },
)

function dayOf(userId: string, workDate: string, note = 'v1'): DayResult {
  return {
    source: 'feishu',
    vendor: 'feishu',
    userId,
    employeeName: note,
    workDate,
    timezone: 'Asia/Shanghai',
    groupId: null,
    shiftId: null,
    segments: [],
  }
}

function cacheOn(
  store: MemoryStore,
  clock = createTestClock(NOON),
  tag = tenantTag('feishu', 'https://open.feishu.cn', 'cli_a'),
) {
  return new StoreDayCache({ store, tag, timezone: 'Asia/Shanghai', policy, clock, pollMs: 1 })
}

const block = (userIds: string[], from: string, to: string) => ({ userIds, from: day(from), to: day(to) })
const never = new AbortController().signal

t.test(
  'entries expire by their own TTL: recent ones after 5 minutes, settled ones after 6 hours',
  async (t) => {
    const clock = createTestClock(NOON)
    const store = new MemoryStore({ clock })
    const cache = cacheOn(store, clock)
    const days = [dayOf('u1', '2024-06-01'), dayOf('u1', '2024-06-10')]
    await cache.store(
      block(['u1'], '2024-06-01', '2024-06-11'),
      { days, excludedUserIds: new Set() },
      { overtime: false, fetchedAt: clock.now(), generation: clock.now() },
    )
    const look = () =>
      cache.lookup(['u1'], day('2024-06-01'), day('2024-06-11'), {
        overtime: false,
        maxAgeMs: Number.POSITIVE_INFINITY,
      })
    const fresh = await look()
    t.equal(fresh.size, 10, '06-01 … 06-10 are kept, with a day or without; 06-11 (tomorrow) is not')
    t.equal(fresh.get(dayKey('u1', '2024-06-10'))?.day?.workDate, '2024-06-10')
    t.equal(fresh.get(dayKey('u1', '2024-06-05'))?.day, null, 'no day that date is an answer too')
    clock.advance(300_000 - 1)
    t.equal((await look()).size, 10, 'just before 5 minutes')
    clock.advance(1)
    const later = await look()
    t.equal(later.size, 6, 'the recent ones (06-07 … 06-10) are gone at 5 minutes')
    t.notOk(later.has(dayKey('u1', '2024-06-07')))
    clock.advance(21_600_000 - 300_000)
    t.equal((await look()).size, 0, 'the settled ones at 6 hours')
  },
)

t.test('maxAge: entries fetched longer ago than that are not served', async (t) => {
  const clock = createTestClock(NOON)
  const cache = cacheOn(new MemoryStore({ clock }), clock)
  await cache.store(
    block(['u1'], '2024-05-01', '2024-05-01'),
    { days: [dayOf('u1', '2024-05-01')], excludedUserIds: new Set() },
    { overtime: false, fetchedAt: clock.now(), generation: clock.now() },
  )
  clock.advance(60_000)
  const lookup = (maxAgeMs: number) =>
    cache.lookup(['u1'], day('2024-05-01'), day('2024-05-01'), { overtime: false, maxAgeMs })
  t.equal((await lookup(60_000)).size, 1, 'exactly a minute old, maxAge a minute: served')
  t.equal((await lookup(59_999)).size, 0)
  t.equal((await lookup(0)).size, 0, 'maxAge 0 reads nothing')
})

t.test('a fetch that started earlier never overwrites what a later one stored', async (t) => {
  const clock = createTestClock(NOON)
  const cache = cacheOn(new MemoryStore({ clock }), clock)
  const b = block(['u1'], '2024-05-01', '2024-05-01')
  const put = (note: string, generation: number) =>
    cache.store(
      b,
      { days: [dayOf('u1', '2024-05-01', note)], excludedUserIds: new Set() },
      { overtime: false, fetchedAt: clock.now(), generation },
    )
  await put('refreshed', 2000)
  await put('stale', 1000) // a slow fetch that started before the refresh, finishing after it
  const found = await cache.lookup(['u1'], b.from, b.to, {
    overtime: false,
    maxAgeMs: Number.POSITIVE_INFINITY,
  })
  t.equal(found.get(dayKey('u1', '2024-05-01'))?.day?.employeeName, 'refreshed')
  await put('newer', 3000)
  const newer = await cache.lookup(['u1'], b.from, b.to, {
    overtime: false,
    maxAgeMs: Number.POSITIVE_INFINITY,
  })
  t.equal(newer.get(dayKey('u1', '2024-05-01'))?.day?.employeeName, 'newer')
})

t.test('invalid users are not kept; tenants and overtime never share entries', async (t) => {
  const clock = createTestClock(NOON)
  const store = new MemoryStore({ clock })
  const tenantA = cacheOn(store, clock, tenantTag('feishu', 'https://open.feishu.cn', 'cli_a'))
  const tenantB = cacheOn(store, clock, tenantTag('feishu', 'https://open.feishu.cn', 'cli_b'))
  const lark = cacheOn(store, clock, tenantTag('feishu', 'https://open.larksuite.com', 'cli_a'))
  const b = block(['u1', 'bad'], '2024-05-01', '2024-05-01')
  await tenantA.store(
    b,
    { days: [dayOf('u1', '2024-05-01')], excludedUserIds: new Set(['bad']) },
    { overtime: false, fetchedAt: clock.now(), generation: clock.now() },
  )
  const all = { overtime: false, maxAgeMs: Number.POSITIVE_INFINITY }
  t.same([...(await tenantA.lookup(['u1', 'bad'], b.from, b.to, all)).keys()], [dayKey('u1', '2024-05-01')])
  t.equal((await tenantB.lookup(['u1'], b.from, b.to, all)).size, 0, 'another app of the same vendor')
  t.equal((await lark.lookup(['u1'], b.from, b.to, all)).size, 0, 'the same app id on another base URL')
  t.equal((await tenantA.lookup(['u1'], b.from, b.to, { ...all, overtime: true })).size, 0, 'overtime apart')
  const key = entryKey(tenantTag('feishu', 'https://open.feishu.cn', 'cli_a'), false, 'u1', '2024-05-01')
  t.match(key, /^day:v1:\{[0-9a-f]{16}\}:no:u1:2024-05-01$/, 'versioned, the tenant as a hash tag')
})

t.test('the in-memory store keeps at most CACHE_MAX_ENTRIES, least recently used first out', async (t) => {
  const clock = createTestClock(NOON)
  const store = new MemoryStore({ clock, maxCacheEntries: 3 })
  const put = (key: string) => store.putEntries([{ key, value: '1|x', generation: 1, ttlMs: 60_000 }])
  await put('a')
  await put('b')
  await put('c')
  await store.getEntries(['a']) // a is now the most recently used
  await put('d')
  t.same(await store.getEntries(['a', 'b', 'c', 'd']), ['1|x', null, '1|x', '1|x'], 'b went')
})

t.test(
  'a second query waits for the first one to fetch the same block, then reads its entries',
  async (t) => {
    const clock = createTestClock(NOON)
    const store = new MemoryStore({ clock })
    const cache = cacheOn(store, clock)
    const b = block(['u1'], '2024-05-01', '2024-05-01')
    const first = await cache.lease(b, false, never)
    t.equal(first.kind, 'owner')
    let waited = false
    const second = cache.lease(b, false, never).then((lease) => {
      waited = true
      return lease
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(waited, false, 'the second waits while the first holds the lease')
    if (first.kind === 'owner') await first.release()
    t.equal((await second).kind, 'waited')
    t.equal((await cache.lease(b, true, never)).kind, 'owner', 'overtime is another block')
  },
)
