// Normalization alone, in this process (one core): generated vendor rows, cut into the blocks the service
// would receive (50 users × 7 days for DingTalk, 50 users × 30 days for Feishu), through
// normalizeDingTalkRecords / normalizeFeishuTasks. Records per second of input rows.
import { dingTalkRowsFor, type FeishuUserTask, feishuTaskFor } from '../../src/simulators/index.js'
import { normalizeDingTalkRecords } from '../../src/vendors/dingtalk/normalize.js'
import type { DingTalkRecord } from '../../src/vendors/dingtalk/types.js'
import { normalizeFeishuTasks } from '../../src/vendors/feishu/normalize.js'
import type { FeishuUserTaskResult } from '../../src/vendors/feishu/types.js'
import { compact, datesOf, userIds } from '../lib/plan-minimum.js'
import type { BenchContext, ScenarioReport } from '../lib/report.js'
import { table } from '../lib/report.js'
import { fixed, median, medianOf } from '../lib/stats.js'

const USERS = userIds('n', 1000)
const PASSES = 5

function blocksOf<T>(
  users: readonly string[],
  dates: readonly string[],
  days: number,
  rows: (user: string, date: string) => T[],
): T[][] {
  const blocks: T[][] = []
  for (let u = 0; u < users.length; u += 50) {
    for (let d = 0; d < dates.length; d += days) {
      const block: T[] = []
      for (const user of users.slice(u, u + 50))
        for (const date of dates.slice(d, d + days)) block.push(...rows(user, date))
      blocks.push(block)
    }
  }
  return blocks
}

/** Records per second over all blocks, and the days produced. */
function pass<T>(
  blocks: readonly T[][],
  normalize: (rows: T[]) => number,
): { perSecond: number; days: number } {
  let days = 0
  let records = 0
  const started = performance.now()
  for (const block of blocks) {
    days += normalize(block)
    records += block.length
  }
  return { perSecond: records / ((performance.now() - started) / 1000), days }
}

export async function normalization(context: BenchContext): Promise<ScenarioReport> {
  const context0 = { timezone: 'Asia/Shanghai', includeRaw: false }
  const dingTalkBlocks = blocksOf(
    USERS,
    datesOf('2024-05-06', '2024-06-02'),
    7,
    (user, date) => dingTalkRowsFor(user, date, {}) as unknown as DingTalkRecord[],
  )
  const feishuBlocks = blocksOf(USERS, datesOf('2024-05-01', '2024-05-30'), 30, (user, date) => {
    const task: FeishuUserTask | null = feishuTaskFor(user, compact(date), { overtime: false })
    return task ? [task as unknown as FeishuUserTaskResult] : []
  })
  const dingTalk = (rows: DingTalkRecord[]) =>
    normalizeDingTalkRecords(rows, { ...context0, source: 'dingtalk' }).days.length
  const feishu = (rows: FeishuUserTaskResult[]) =>
    normalizeFeishuTasks(rows, { ...context0, source: 'feishu' }).days.length
  // One pass each to warm the JIT, then the measured passes.
  pass(dingTalkBlocks, dingTalk)
  pass(feishuBlocks, feishu)
  const dingTalkRuns: number[] = []
  const feishuRuns: number[] = []
  let days = { dingtalk: 0, feishu: 0 }
  for (let run = 0; run < PASSES; run++) {
    const d = pass(dingTalkBlocks, dingTalk)
    const f = pass(feishuBlocks, feishu)
    dingTalkRuns.push(d.perSecond)
    feishuRuns.push(f.perSecond)
    days = { dingtalk: d.days, feishu: f.days }
  }
  const dingTalkRows = dingTalkBlocks.reduce((sum, block) => sum + block.length, 0)
  const feishuRows = feishuBlocks.reduce((sum, block) => sum + block.length, 0)
  context.progress(
    `normalization: DingTalk ${fixed(median(dingTalkRuns), 0)} rows/s, Feishu ${fixed(median(feishuRuns), 0)} tasks/s`,
  )

  const body = [
    `In the benchmark process, on one core: ${USERS.length} users' generated rows (the simulators' \`dingTalkRowsFor\` / \`feishuTaskFor\`), cut into the blocks the service receives, normalized block by block; one warm-up pass, then ${PASSES} passes, median (then every pass). \`includeRaw\` off.`,
    '',
    table(
      ['input', 'records', 'days produced', 'records per second, median (passes)'],
      [
        [
          'DingTalk `recordresult` rows, blocks of 50 users × 7 days',
          String(dingTalkRows),
          String(days.dingtalk),
          medianOf(dingTalkRuns, 0),
        ],
        [
          'Feishu `user_task_results` entries, blocks of 50 users × 30 days',
          String(feishuRows),
          String(days.feishu),
          medianOf(feishuRuns, 0),
        ],
      ],
    ),
    '',
    `For scale: DingTalk allows 20 calls a second of at most 50 rows, 1,000 rows a second per app; normalization handles ${fixed(median(dingTalkRuns) / 1000, 0)}× that on one core.`,
  ].join('\n')

  return {
    title: 'Normalization throughput',
    body,
    targets: [
      {
        figure: 'normalization: records per second on one core',
        value: `DingTalk ${fixed(median(dingTalkRuns), 0)}, Feishu ${fixed(median(feishuRuns), 0)}`,
        target: 'reported',
        met: null,
      },
    ],
  }
}
