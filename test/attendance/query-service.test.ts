// QueryService across sources: the answer is in source order whatever order the sources finish in; a
// later source's days are held until the earlier ones are written, and past maxHeldBytes its blocks wait.
import t from 'tap'
import { resolveSource } from '../../src/config/source-config.js'
import { parseQuery } from '../../src/domain/attendance/parse-query.js'
import { QueryService } from '../../src/domain/attendance/query-service.js'
import type { Block, BlockResult, SourceAdapter } from '../../src/domain/attendance/source.js'
import { formatWorkDate } from '../../src/platform/time/work-date.js'
import type { DayResult } from '../../src/schemas/day-result.js'
import { silentLog } from '../helpers/silent-log.js'

const settled = () => new Promise((resolve) => setImmediate(resolve))

/** A source whose blocks the test releases one at a time. */
function heldSource(id: string) {
  const pending: (() => void)[] = []
  const started: Block[] = []
  const adapter: SourceAdapter = {
    config: { ...resolveSource({ id, vendor: 'feishu', appId: 'a', appSecret: 's' }), maxConcurrency: 1 },
    limits: { maxUsersPerCall: 1, maxDaysPerCall: 1 },
    fetchBlock: (block): Promise<BlockResult> => {
      started.push(block)
      return new Promise((resolve) => {
        pending.push(() =>
          resolve({
            days: block.userIds.map((userId) => day(id, userId, block.from)),
            invalidUserIds: [],
            unauthorizedUserIds: [],
          }),
        )
      })
    },
    async close() {},
  }
  return { adapter, started, release: () => pending.shift()?.() }
}

function day(source: string, userId: string, epochDay: number): DayResult {
  return {
    source,
    vendor: 'feishu',
    userId,
    employeeName: null,
    workDate: formatWorkDate(epochDay),
    timezone: 'Asia/Shanghai',
    groupId: null,
    shiftId: null,
    segments: [],
  }
}

function query(service: QueryService, users: string[]) {
  return parseQuery(
    { from: '2024-05-06', to: '2024-05-06', users },
    { maxRangeDays: 31, maxUsers: 100, sourceIds: service.sourceIds },
  )
}

const context = () => ({
  signal: new AbortController().signal,
  deadline: Date.now() + 60_000,
  log: silentLog as never,
})

t.test('a later source that finishes first is held until the earlier one is written', async (t) => {
  const a = heldSource('a')
  const b = heldSource('b')
  const service = new QueryService([b.adapter, a.adapter])
  const written: string[] = []
  const running = service.execute(query(service, ['b:x', 'a:y', 'a:z', 'b:w']), context(), {
    encode: (days) => days.map((d) => `${d.source}:${d.userId}`),
    write: (names) => {
      written.push(...names)
    },
  })
  await settled()
  b.release() // b:w
  await settled()
  b.release() // b:x: source b is done
  await settled()
  t.same(written, [], 'nothing of b before a')
  a.release() // a:y
  await settled()
  t.same(written, ['a:y'], "a's first user goes out at once (no cache: units of one call's worth)")
  a.release() // a:z: a is done, b's held days follow
  const summary = await running
  t.same(written, ['a:y', 'a:z', 'b:w', 'b:x'], 'source order, then user order')
  t.same(
    summary.sources.map((report) => report.source),
    ['a', 'b'],
  )
  t.same(service.load('a'), { running: 0, queued: 0 })
})

t.test('past maxHeldBytes a held source takes no new block until its turn', async (t) => {
  const a = heldSource('a')
  const b = heldSource('b')
  const service = new QueryService([a.adapter, b.adapter])
  const running = service.execute(query(service, ['a:1', 'b:1', 'b:2', 'b:3']), context(), {
    encode: (days) => days.length,
    write: () => {},
    sizeOf: () => 10,
    maxHeldBytes: 15, // one unit of b fits, the second passes the bound
  })
  await settled()
  b.release()
  await settled()
  b.release()
  await settled()
  t.equal(b.started.length, 2, "b's third block waits: 20 bytes held, more than 15")
  a.release()
  await settled()
  await settled()
  t.equal(b.started.length, 3, 'its turn came: it goes on')
  b.release()
  const summary = await running
  t.equal(summary.complete, true)
})
