// runSource hands on each chunk of users' days sorted and in chunk order, however the blocks finish.
import t from 'tap'
import { resolveSource } from '../../src/config/source-config.js'
import { runSource } from '../../src/domain/attendance/run-source.js'
import type { Block, BlockResult, SourceAdapter } from '../../src/domain/attendance/source.js'
import { SourceFailure } from '../../src/domain/attendance/source-failure.js'
import { formatWorkDate, parseWorkDate } from '../../src/platform/time/work-date.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import { silentLog } from '../helpers/silent-log.js'

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
    log: silentLog as never,
    unitCalls: 1,
    onDays: (days) => {
      emitted.push(days)
    },
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
    log: silentLog as never,
    unitCalls: 1,
    onDays: (days) => {
      emitted.push(days)
    },
  })
  t.equal(report.status, 'partial')
  t.same(report.missing, [{ userIds: ['a', 'b', 'c'], from: '2024-05-06', to: '2024-05-07' }])
  t.same(
    emitted.map((days) => days.length),
    [0, 2],
    'the failed chunk is handed on empty, the next one whole',
  )
})

const baseRun = (userIds: string[], from: number, to: number) => ({
  userIds,
  from,
  to,
  overtime: false,
  includeRaw: false,
  signal: new AbortController().signal,
  deadline: Date.now() + 10_000,
  log: silentLog as never,
  unitCalls: 1,
})

/** An adapter whose answer per block the test writes. */
function scriptedAdapter(answer: (block: Block, call: number) => Promise<BlockResult>) {
  let calls = 0
  const adapter: SourceAdapter = {
    config: {
      ...resolveSource({ id: 'fake', vendor: 'dingtalk', appKey: 'k', appSecret: 's' }),
      maxConcurrency: 1,
    },
    limits: { maxUsersPerCall: 2, maxDaysPerCall: 2 },
    fetchBlock: (block) => answer(block, calls++),
    async close() {},
  }
  return { adapter, calls: () => calls }
}

t.test('days outside their block and second days for a user and date are left out and counted', async (t) => {
  const from = parseWorkDate('2024-05-06') as number
  const { adapter } = scriptedAdapter(async (block) => ({
    days: [
      day('a', block.from - 1), // a day before the block (what a zone mismatch produced)
      day('a', block.from),
      day('a', block.from), // the same user and date again
      day('b', block.to),
      day('zz', block.from), // a user nobody asked for
    ],
    invalidUserIds: [],
    unauthorizedUserIds: [],
  }))
  const emitted: DayResult[] = []
  const report = await runSource(adapter, {
    ...baseRun(['a', 'b'], from, from + 1),
    onDays: (days) => {
      emitted.push(...days)
    },
  })
  t.same(
    emitted.map((d) => `${d.userId}/${d.workDate}`),
    ['a/2024-05-06', 'b/2024-05-07'],
    'only the days of the block, once each',
  )
  t.equal(report.status, 'ok', 'warnings do not make a source fail')
  t.same(
    report.warnings.map(({ code, count }) => ({ code, count })),
    [
      { code: 'DAY_OUTSIDE_BLOCK', count: 2 },
      { code: 'DUPLICATE_DAY', count: 1 },
    ],
  )
  t.match(report.warnings[0]?.message, /outside the dates asked for/)
})

t.test('an adapter warning is summed over blocks', async (t) => {
  const from = parseWorkDate('2024-05-06') as number
  const { adapter } = scriptedAdapter(async () => ({
    days: [],
    invalidUserIds: [],
    unauthorizedUserIds: [],
    warnings: [{ code: 'TIMEZONE_MISMATCH', count: 3 }],
  }))
  const report = await runSource(adapter, {
    ...baseRun(['a', 'b', 'c'], from, from + 3),
    onDays: () => {},
  })
  t.same(
    report.warnings.map(({ code, count }) => ({ code, count })),
    [{ code: 'TIMEZONE_MISMATCH', count: 12 }],
    '4 blocks × 3',
  )
})

t.test('a spent monthly quota fails the remaining blocks at once, with no further call', async (t) => {
  const from = parseWorkDate('2024-05-06') as number
  const { adapter, calls } = scriptedAdapter(async () => {
    throw new SourceFailure('VENDOR_QUOTA_EXHAUSTED', 'DingTalk attendance/list failed: 90020', {
      vendorCode: 90020,
    })
  })
  const report = await runSource(adapter, {
    ...baseRun(['a', 'b', 'c', 'd'], from, from + 3),
    onDays: () => {},
  })
  t.equal(calls(), 1, 'one call: the other three blocks were not asked for')
  t.equal(report.status, 'error')
  t.same(report.error, {
    code: 'VENDOR_QUOTA_EXHAUSTED',
    message: 'DingTalk attendance/list failed: 90020',
    vendorCode: 90020,
  })
  t.equal(report.missing.length, 4, 'every block is listed missing')
})

t.test('a slow output holds the workers back: no block starts while a write is pending', async (t) => {
  const from = parseWorkDate('2024-05-06') as number
  const started: number[] = []
  const { adapter } = scriptedAdapter(async (block, call) => {
    started.push(call)
    return {
      days: block.userIds.map((id) => day(id, block.from)),
      invalidUserIds: [],
      unauthorizedUserIds: [],
    }
  })
  let release: () => void = () => {}
  let writes = 0
  const running = runSource(adapter, {
    ...baseRun(['a', 'b', 'c', 'd'], from, from), // 2 chunks of one window each
    onDays: () => {
      writes++
      return new Promise<void>((resolve) => {
        release = resolve
      })
    },
  })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(writes, 1, 'the first chunk was written')
  t.same(started, [0], 'the second block waits for the reader')
  release()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(started, [0, 1], 'it starts once the write is done')
  release()
  const report = await running
  t.equal(report.status, 'ok')
  t.equal(writes, 2)
})

t.test('a slow first block does not let the others run ahead of it without bound', async (t) => {
  const from = parseWorkDate('2024-05-06') as number
  const users = Array.from({ length: 40 }, (_, i) => `u${String(i).padStart(2, '0')}`)
  let releaseFirst: () => void = () => {}
  const firstAnswered = new Promise<void>((resolve) => {
    releaseFirst = resolve
  })
  const started: string[] = []
  const adapter: SourceAdapter = {
    config: {
      ...resolveSource({ id: 'fake', vendor: 'dingtalk', appKey: 'k', appSecret: 's' }),
      maxConcurrency: 4,
    },
    // One user and one day a call: each unit of users is a single block.
    limits: { maxUsersPerCall: 1, maxDaysPerCall: 1 },
    async fetchBlock(block) {
      started.push(block.userIds[0] as string)
      if (block.userIds[0] === 'u00') await firstAnswered
      return {
        days: [day(block.userIds[0] as string, block.from)],
        invalidUserIds: [],
        unauthorizedUserIds: [],
      }
    },
    async close() {},
  }
  const emitted: string[] = []
  const running = runSource(adapter, {
    ...baseRun(users, from, from),
    onDays: (days) => {
      for (const d of days) emitted.push(d.userId)
    },
  })
  while (started.length < 5) await new Promise((resolve) => setTimeout(resolve, 5))
  await new Promise((resolve) => setTimeout(resolve, 50)) // time for any further block to start
  // Done blocks of later users wait in memory until the first is out: at most one per worker of them.
  t.same(started, ['u00', 'u01', 'u02', 'u03', 'u04'], 'the first block and four after it, no more')
  t.same(emitted, [], 'nothing is handed on before the first block')
  releaseFirst()
  const report = await running
  t.equal(report.status, 'ok')
  t.same(emitted, users, 'then every user, in order')
  t.equal(started.length, users.length, 'each block once')
})
