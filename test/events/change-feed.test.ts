// The change feed on the memory store with a test clock: order, cursors, limits, retention, and the 410
// for a cursor older than the feed keeps. The same log operations run on Redis in test/store.
import t from 'tap'
import { ChangeFeed, CursorExpiredError } from '../../src/domain/events/change-feed.js'
import { createTestClock } from '../../src/platform/time/clock.js'
import { MemoryStore } from '../../src/store/memory-store.js'

const DAY_MS = 24 * 3600 * 1000
const START = Date.UTC(2024, 5, 1)

function feedWithClock() {
  const clock = createTestClock(START)
  const store = new MemoryStore({ clock })
  return { clock, store, feed: new ChangeFeed(store, 35, clock.now) }
}

t.test(
  'changes come oldest first, from a cursor, at most limit, with the time they were recorded',
  async (t) => {
    const { clock, feed } = feedWithClock()
    await feed.record('hq', [{ userId: 'u1', workDate: '2024-05-06' }], 'event')
    clock.advance(1000)
    await feed.record(
      'hq',
      [
        { userId: 'u2', workDate: '2024-05-07' },
        { userId: 'u3', workDate: '2024-05-08' },
      ],
      'refetch',
    )
    await feed.record('other', [{ userId: 'x', workDate: '2024-05-06' }], 'event')

    const all = await feed.read('hq', undefined, 10)
    t.same(all.changes, [
      {
        source: 'hq',
        userId: 'u1',
        workDate: '2024-05-06',
        reason: 'event',
        at: new Date(START).toISOString(),
      },
      {
        source: 'hq',
        userId: 'u2',
        workDate: '2024-05-07',
        reason: 'refetch',
        at: new Date(START + 1000).toISOString(),
      },
      {
        source: 'hq',
        userId: 'u3',
        workDate: '2024-05-08',
        reason: 'refetch',
        at: new Date(START + 1000).toISOString(),
      },
    ])
    const first = await feed.read('hq', undefined, 1)
    t.same(
      first.changes.map((change) => change.userId),
      ['u1'],
    )
    const rest = await feed.read('hq', first.next, 10)
    t.same(
      rest.changes.map((change) => change.userId),
      ['u2', 'u3'],
      'continuing from next gives the rest, none twice',
    )
    const none = await feed.read('hq', rest.next, 10)
    t.same(none, { changes: [], next: rest.next }, 'nothing new: the same cursor back')
    t.same((await feed.read('empty', undefined, 10)).changes, [])
  },
)

t.test('retention: entries past CHANGES_RETENTION_DAYS go, and an older cursor is refused', async (t) => {
  const { clock, feed } = feedWithClock()
  await feed.record('hq', [{ userId: 'old', workDate: '2024-05-01' }], 'event')
  const { next: oldCursor } = await feed.read('hq', undefined, 10)
  clock.advance(36 * DAY_MS)
  await feed.record('hq', [{ userId: 'new', workDate: '2024-06-30' }], 'event')
  t.same(
    (await feed.read('hq', undefined, 10)).changes.map((change) => change.userId),
    ['new'],
    'the 36-day-old change is gone',
  )
  await t.rejects(feed.read('hq', oldCursor, 10), CursorExpiredError, 'a cursor past retention')
  await t.rejects(feed.read('hq', 'not-a-cursor', 10), TypeError)
})
