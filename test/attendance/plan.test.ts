import t from 'tap'
import { planBlocks } from '../../src/domain/attendance/plan.js'
import { parseWorkDate } from '../../src/platform/time/work-date.js'

const day = (text: string) => parseWorkDate(text) as number
const users = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`)

t.test('Feishu: 120 users × 20 days is 3 chunks × 1 window', async (t) => {
  const blocks = planBlocks(users(120), day('2024-05-01'), day('2024-05-20'), {
    maxUsersPerCall: 50,
    maxDaysPerCall: 30,
  })
  t.equal(blocks.length, 3)
  t.same(
    blocks.map((block) => block.userIds.length),
    [50, 50, 20],
  )
  t.ok(blocks.every((block) => block.from === day('2024-05-01') && block.to === day('2024-05-20')))
})

t.test('DingTalk: 7-day inclusive windows that neither overlap nor leave gaps', async (t) => {
  const blocks = planBlocks(users(1), day('2024-05-01'), day('2024-05-20'), {
    maxUsersPerCall: 50,
    maxDaysPerCall: 7,
  })
  t.same(
    blocks.map((block) => [block.from - day('2024-05-01'), block.to - day('2024-05-01')]),
    [
      [0, 6],
      [7, 13],
      [14, 19],
    ],
  )
})

t.test('every user and day is covered exactly once, whatever the sizes', async (t) => {
  for (const [userCount, days, maxUsers, maxDays] of [
    [1, 1, 50, 7],
    [50, 7, 50, 7],
    [51, 8, 50, 7],
    [1000, 31, 50, 30],
    [7, 93, 3, 7],
  ] as const) {
    const from = day('2024-01-01')
    const blocks = planBlocks(users(userCount), from, from + days - 1, {
      maxUsersPerCall: maxUsers,
      maxDaysPerCall: maxDays,
    })
    const seen = new Map<string, number>()
    for (const block of blocks) {
      t.ok(block.userIds.length <= maxUsers && block.to - block.from + 1 <= maxDays)
      for (const user of block.userIds) {
        for (let d = block.from; d <= block.to; d++)
          seen.set(`${user}/${d}`, (seen.get(`${user}/${d}`) ?? 0) + 1)
      }
    }
    t.equal(seen.size, userCount * days, `${userCount} users × ${days} days all covered`)
    t.ok(
      [...seen.values()].every((count) => count === 1),
      'none twice',
    )
    t.equal(
      blocks.length,
      Math.ceil(userCount / maxUsers) * Math.ceil(days / maxDays),
      'the minimum number of blocks',
    )
  }
})

t.test('weekday is right on both sides of 1970', async (t) => {
  const { weekday } = await import('../../src/platform/time/work-date.js')
  t.equal(weekday(day('1970-01-01')), 4, 'Thursday')
  t.equal(weekday(day('1969-12-27')), 6, 'Saturday')
  t.equal(weekday(day('1969-12-28')), 0, 'Sunday')
  t.equal(weekday(day('2024-05-06')), 1, 'Monday')
})
