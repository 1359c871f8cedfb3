// An export job's record as the API shows it: percent from the calls made against those planned, never
// below what was shown before and below 100 until the job has succeeded; the ETA from the slowest source;
// times as RFC 3339.
import t from 'tap'
import {
  type ExportRecord,
  etaSeconds,
  exportJobView,
  isFinal,
  progressPercent,
} from '../../src/domain/exports/export-record.js'

const CREATED = Date.parse('2024-06-01T08:00:00.000Z')

function record(overrides: Partial<ExportRecord> = {}): ExportRecord {
  return {
    id: 'job-1',
    owner: 'payroll',
    format: 'csv',
    bom: false,
    query: { from: '2024-05-01', to: '2024-05-31', users: ['feishu:u1', 'dingtalk:d1'] },
    userCount: 2,
    status: 'running',
    createdAt: CREATED,
    startedAt: CREATED + 1500,
    finishedAt: null,
    attempts: 1,
    bySource: {
      feishu: { plannedCalls: 40, vendorCalls: 10, rateLimitPerSecond: 4 },
      dingtalk: { plannedCalls: 60, vendorCalls: 30, rateLimitPerSecond: 3 },
    },
    days: 120,
    percent: 0,
    complete: null,
    sources: [],
    file: null,
    error: null,
    ...overrides,
  }
}

t.test('percent: calls made over calls planned, all sources together, to a tenth', async (t) => {
  t.equal(progressPercent(record()), 40, '(10 + 30) / (40 + 60)')
  const third = record({ bySource: { feishu: { plannedCalls: 3, vendorCalls: 1, rateLimitPerSecond: 1 } } })
  t.equal(progressPercent(third), 33.3, 'rounded down to a tenth')
  t.equal(progressPercent(record({ bySource: {} })), 0, 'nothing planned yet: 0, not NaN')
  t.equal(progressPercent(record({ status: 'queued', bySource: {} })), 0)
})

t.test('percent never goes below the one shown before', async (t) => {
  // A job taken over by another replica plans again: the new plan may make the ratio smaller.
  t.equal(progressPercent(record({ percent: 72.5 })), 72.5, 'the shown 72.5 beats 40 by calls')
  t.equal(progressPercent(record({ percent: 12 })), 40, 'the calls beat a lower shown percent')
  t.equal(progressPercent(record({ status: 'queued', percent: 55 })), 55, 'queued again after a hand-back')
  t.equal(progressPercent(record({ status: 'failed', percent: 61.2 })), 61.2, 'failed: as far as it got')
  t.equal(progressPercent(record({ status: 'cancelled', percent: 8 })), 8, 'cancelled: as far as it got')

  // Percent fed back as the record's `percent` after each step, as the runner does every tick.
  let job = record({ bySource: { feishu: { plannedCalls: 10, vendorCalls: 0, rateLimitPerSecond: 1 } } })
  const shown: number[] = []
  for (const made of [0, 3, 5, 2, 9, 10, 12]) {
    job = { ...job, bySource: { feishu: { plannedCalls: 10, vendorCalls: made, rateLimitPerSecond: 1 } } }
    job.percent = progressPercent(job)
    shown.push(job.percent)
  }
  t.same(shown, [0, 30, 50, 50, 90, 99, 99], 'never down, never 100 while running')
})

t.test('percent is below 100 until the job is final, and 100 once it succeeded', async (t) => {
  const allMade = { feishu: { plannedCalls: 8, vendorCalls: 8, rateLimitPerSecond: 1 } }
  const retried = { feishu: { plannedCalls: 8, vendorCalls: 13, rateLimitPerSecond: 1 } }
  t.equal(progressPercent(record({ bySource: allMade })), 99, 'every planned call made, not written yet')
  t.equal(progressPercent(record({ bySource: retried })), 99, 'retries past the plan: still 99')
  t.equal(progressPercent(record({ status: 'queued', bySource: retried })), 99)
  t.equal(progressPercent(record({ status: 'succeeded', percent: 40 })), 100)
  t.equal(progressPercent(record({ status: 'succeeded', bySource: {} })), 100, 'all from the cache')
  t.ok(isFinal(record({ status: 'succeeded' })) && !isFinal(record({ status: 'running' })))
})

t.test('etaSeconds: the slowest source’s calls left at its rate, only while running', async (t) => {
  // feishu: 30 left at 4/s = 7.5 s; dingtalk: 30 left at 3/s = 10 s.
  t.equal(etaSeconds(record()), 10)
  const feishuSlowest = record({
    bySource: {
      feishu: { plannedCalls: 40, vendorCalls: 0, rateLimitPerSecond: 4 },
      dingtalk: { plannedCalls: 60, vendorCalls: 59, rateLimitPerSecond: 3 },
    },
  })
  t.equal(etaSeconds(feishuSlowest), 10, 'feishu 40 / 4 beats dingtalk 1 / 3')
  const fraction = record({
    bySource: { feishu: { plannedCalls: 7, vendorCalls: 0, rateLimitPerSecond: 2 } },
  })
  t.equal(etaSeconds(fraction), 4, '3.5 s rounds up')
  const overshoot = record({
    bySource: { feishu: { plannedCalls: 7, vendorCalls: 9, rateLimitPerSecond: 2 } },
  })
  t.equal(etaSeconds(overshoot), 0, 'more calls than planned (retries): 0, never negative')
  t.equal(etaSeconds(record({ bySource: {} })), 0)
  for (const status of ['queued', 'succeeded', 'failed', 'cancelled'] as const) {
    t.equal(etaSeconds(record({ status })), null, `null while ${status}`)
  }
})

t.test('exportJobView: the API fields, times as ISO strings, totals over the sources', async (t) => {
  const expiresAt = CREATED + 86_400_000
  const finished = record({
    status: 'succeeded',
    finishedAt: CREATED + 9250,
    complete: true,
    file: { name: 'attendance_2024-05-01_2024-05-31.csv', bytes: 1234, sha256: 'ab'.repeat(32), expiresAt },
  })
  t.same(exportJobView(finished), {
    id: 'job-1',
    status: 'succeeded',
    format: 'csv',
    report: 'days',
    from: '2024-05-01',
    to: '2024-05-31',
    userCount: 2,
    createdAt: '2024-06-01T08:00:00.000Z',
    startedAt: '2024-06-01T08:00:01.500Z',
    finishedAt: '2024-06-01T08:00:09.250Z',
    progress: { plannedCalls: 100, vendorCalls: 40, days: 120, percent: 100 },
    etaSeconds: null,
    complete: true,
    sources: [],
    file: {
      name: 'attendance_2024-05-01_2024-05-31.csv',
      bytes: 1234,
      sha256: 'ab'.repeat(32),
      expiresAt: '2024-06-02T08:00:00.000Z',
    },
    error: null,
  })
  t.same(Object.keys(exportJobView(finished)), [
    'id',
    'status',
    'format',
    'report',
    'from',
    'to',
    'userCount',
    'createdAt',
    'startedAt',
    'finishedAt',
    'progress',
    'etaSeconds',
    'complete',
    'sources',
    'file',
    'error',
  ])
  t.equal(finished.file?.expiresAt, expiresAt, 'the record itself is left as epoch ms')

  const queued = exportJobView(record({ status: 'queued', startedAt: null, bySource: {}, days: 0 }))
  t.match(queued, {
    startedAt: null,
    finishedAt: null,
    etaSeconds: null,
    file: null,
    progress: { plannedCalls: 0, vendorCalls: 0, days: 0, percent: 0 },
  })
  const running = exportJobView(record())
  t.match(running, { status: 'running', etaSeconds: 10, progress: { percent: 40 }, finishedAt: null })

  const failed = exportJobView(
    record({
      status: 'failed',
      finishedAt: CREATED + 2000,
      percent: 37.5,
      error: { code: 'EXPORT_FAILED', message: 'x' },
    }),
  )
  t.same(failed.error, { code: 'EXPORT_FAILED', message: 'x' })
  t.equal(failed.file, null)
  t.equal(failed.progress.percent, 37.5, 'a failed job shows the percent it had reached')
})

t.test('calls another query made for the job’s days count as made: percent, ETA and the view', async (t) => {
  const shared = record({
    bySource: {
      feishu: { plannedCalls: 40, vendorCalls: 0, sharedCalls: 30, rateLimitPerSecond: 4 },
      dingtalk: { plannedCalls: 60, vendorCalls: 30, rateLimitPerSecond: 3 },
    },
  })
  t.equal(progressPercent(shared), 60, '(0 + 30 shared + 30) / (40 + 60)')
  t.equal(etaSeconds(shared), 10, 'DingTalk: 30 left at 3 a second; Feishu: 10 left at 4 a second')
  t.match(exportJobView(shared).progress, { plannedCalls: 100, vendorCalls: 60 })
})
