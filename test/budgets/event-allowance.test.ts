// DingTalk's event allowance on a test clock: pushes counted per calendar month in the source's zone (a new
// month starts at its local midnight, not UTC's), the counter living until a little after its month, and
// the crossing of 80% and of the whole allowance reported once each, whichever replica counts it.
import t from 'tap'
import { EventAllowance } from '../../src/domain/budgets/event-allowance.js'
import { createTestClock } from '../../src/platform/time/clock.js'
import { MemoryStore } from '../../src/store/memory-store.js'

// 2024-05-31 23:00 in Shanghai (UTC+8) is 15:00 UTC: one hour before June starts there.
const LAST_HOUR_OF_MAY = Date.parse('2024-05-31T15:00:00Z')

function allowanceOf(limit: number, start = LAST_HOUR_OF_MAY) {
  const clock = createTestClock(start)
  const store = new MemoryStore({ clock })
  const crossings: string[] = []
  const allowance = new EventAllowance({
    store,
    sourceId: 'dingtalk-hq',
    timezone: 'Asia/Shanghai',
    monthlyAllowance: limit,
    clock,
    onCrossed: ({ share, used, limit: of, month }) => crossings.push(`${month} ${share} ${used}/${of}`),
  })
  /** What EventEffects does for one new event: the store's count, then the allowance is told. */
  const countOne = async () => {
    const { key, ttlMs } = allowance.counter()
    const used =
      (await store.recordOnce({ markKey: `m${Math.random()}`, markTtlMs: 1000, counter: { key, ttlMs } })) ??
      0
    await allowance.counted(used)
  }
  return { clock, allowance, crossings, countOne }
}

t.test('counted in the month of the source zone, warned at 80% and at 100%, once each', async (t) => {
  const { clock, allowance, crossings, countOne } = allowanceOf(10)
  t.equal(allowance.month(), '2024-05')
  t.equal(allowance.limit, 10)
  t.equal(await allowance.used(), 0)
  for (let pushed = 0; pushed < 7; pushed++) await countOne()
  t.equal(await allowance.used(), 7)
  t.same(crossings, [], 'nothing said below 80%')
  await countOne()
  t.same(crossings, ['2024-05 0.8 8/10'], 'the 8th of 10 crosses 80%')
  await countOne()
  t.same(crossings, ['2024-05 0.8 8/10'], 'said once')
  await countOne()
  t.same(crossings, ['2024-05 0.8 8/10', '2024-05 1 10/10'], 'the 10th spends it')
  await countOne()
  t.equal(await allowance.used(), 11, 'pushes past the allowance are still counted (the vendor decides)')
  t.equal(crossings.length, 2)

  clock.advance(3600_000)
  t.equal(allowance.month(), '2024-06', 'June starts at midnight in Shanghai (16:00 UTC)')
  t.equal(await allowance.used(), 0, 'a new month starts from zero')
  for (let pushed = 0; pushed < 8; pushed++) await countOne()
  t.same(crossings.at(-1), '2024-06 0.8 8/10', 'and is warned about again')
})

t.test("the counter lives until a week after its month's end in the source's zone", async (t) => {
  const { allowance } = allowanceOf(3000)
  // One hour left of May in Shanghai, then 7 days.
  t.equal(allowance.counter().ttlMs, 3600_000 + 7 * 86_400_000)
  t.match(allowance.counter().key, /^events:pushes:\{dingtalk-hq\}:2024-05$/)
})

t.test('80% of a small allowance rounds up: 80% of 3 is the 3rd push', async (t) => {
  const { crossings, countOne } = allowanceOf(3, Date.parse('2024-05-10T00:00:00Z'))
  await countOne()
  await countOne()
  t.same(crossings, [])
  await countOne()
  t.same(crossings, ['2024-05 0.8 3/3', '2024-05 1 3/3'])
})
