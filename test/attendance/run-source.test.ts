// runSource hands on each chunk of users' days sorted and in chunk order, however the blocks finish.
import t from 'tap'
import { runSource } from '../../src/attendance/run-source.js'
import type { BlockResult, SourceAdapter } from '../../src/attendance/source.js'
import { resolveSource } from '../../src/config/source-config.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import { formatWorkDate, parseWorkDate } from '../../src/time/work-date.js'

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child: () => silent,
  level: 'silent',
}

function day(userId: string, epochDay: number): DayResult {
  return {
    source: 'fake',
    vendor: 'dingtalk',
    userId,
    employeeName: null,
    workDate: formatWorkDate(epochDay),
    timezone: 'Asia/Shanghai',
    groupId: null,
    shiftId: null,
    segments: [],
  }
}

/** Answers every day of a block, the later blocks sooner, so that blocks finish out of order. */
function fakeAdapter(): SourceAdapter & { calls: number } {
  const config = {
    ...resolveSource({ id: 'fake', vendor: 'dingtalk', appKey: 'k', appSecret: 's' }),
    maxConcurrency: 8,
  }
  let started = 0
  return {
    config,
    limits: { maxUsersPerCall: 3, maxDaysPerCall: 2 },
    calls: 0,
    async fetchBlock(block): Promise<BlockResult> {
      this.calls++
      const delay = 40 - 4 * started++
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, delay)))
      const days: DayResult[] = []
      // Reversed on purpose: the chunk must come out sorted whatever the vendor's order.
      for (const userId of [...block.userIds].reverse())
        for (let at = block.to; at >= block.from; at--) days.push(day(userId, at))
      return { days, invalidUserIds: [], unauthorizedUserIds: [] }
    },
    async close() {},
  }
}

t.test('chunks come out in user order, each sorted by userId then workDate', async (t) => {
  const adapter = fakeAdapter()
  const from = parseWorkDate('2024-05-06') as number
  const emitted: DayResult[][] = []
  const report = await runSource(adapter, {
    userIds: ['u7', 'u2', 'u9', 'u1', 'u5', 'u3', 'u8', 'u4'],
    from,
    to: from + 4,
    overtime: false,
    includeRaw: false,
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    log: silent as never,
    onDays: (days) => emitted.push(days),
  })
  t.equal(report.status, 'ok')
  t.equal(adapter.calls, 9, '3 chunks of at most 3 users × 3 windows of at most 2 days')
  t.same(
    emitted.map((days) => [...new Set(days.map((d) => d.userId))]),
    [
      ['u1', 'u2', 'u3'],
      ['u4', 'u5', 'u7'],
      ['u8', 'u9'],
    ],
    'one emission per chunk, users sorted before chunking',
  )
  const flat = emitted.flat().map((d) => `${d.userId}/${d.workDate}`)
  t.same(flat, [...flat].sort(), 'the whole sequence is sorted')
  t.equal(flat.length, 8 * 5)
})

t.test('a failed block still lets its chunk (and the ones after it) out', async (t) => {
  const adapter = fakeAdapter()
  const failing = adapter.fetchBlock.bind(adapter)
  let call = 0
  adapter.fetchBlock = async (block, options) => {
    if (call++ === 0) throw new Error('boom')
    return failing(block, options)
  }
  const from = parseWorkDate('2024-05-06') as number
  const emitted: DayResult[][] = []
  const report = await runSource(adapter, {
    userIds: ['a', 'b', 'c', 'd'],
    from,
    to: from + 1,
    overtime: false,
    includeRaw: false,
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    log: silent as never,
    onDays: (days) => emitted.push(days),
  })
  t.equal(report.status, 'partial')
  t.same(report.missing, [{ userIds: ['a', 'b', 'c'], from: '2024-05-06', to: '2024-05-07' }])
  t.same(
    emitted.map((days) => days.length),
    [0, 2],
    'the failed chunk is handed on empty, the next one whole',
  )
})
