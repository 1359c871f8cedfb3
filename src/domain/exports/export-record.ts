// What the service keeps about an export job, and how it is shown: times as epoch ms here, RFC 3339 in the
// API; the calls planned and made per source, from which `percent` and `etaSeconds` come.
import type { ExportErrorCode, ExportJob, ExportStatusName } from '../../schemas/export.js'
import type { Format } from '../../schemas/format.js'
import type { SourceReport } from '../../schemas/source-report.js'

/** The query fields as the caller sent them (users as `source:userId` strings), validated. */
export interface ExportQueryInput {
  from: string
  to: string
  users: string[]
  overtime?: boolean
  includeRaw?: boolean
  maxAge?: number
}

export interface SourceProgress {
  plannedCalls: number
  /** Calls this job made. */
  vendorCalls: number
  /** Planned calls another query made for this job's days (run-source.ts, SharedCalls); older records: none. */
  sharedCalls?: number
  rateLimitPerSecond: number
}

/** The calls made for the source's part of the job: by the job, or by another query it took days from. */
export function callsMade(source: SourceProgress): number {
  return source.vendorCalls + (source.sharedCalls ?? 0)
}

export interface ExportRecord {
  id: string
  /** The API key's name that created it ('' on an open API): nobody else sees it. */
  owner: string
  format: Format
  bom: boolean
  /** Days (the default) or the users' summaries; records from before summaries have none. */
  report?: 'days' | 'summary'
  groupBy?: 'person'
  query: ExportQueryInput
  /** SHA-256 of the Idempotency-Key it was created with: deleting the job frees the key. */
  idempotencyKeyHash?: string
  userCount: number
  status: ExportStatusName
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  /** Runs started (a job taken over after a replica died runs again). */
  attempts: number
  bySource: Record<string, SourceProgress>
  days: number
  /** Highest percent shown so far: a run that starts again never shows less. */
  percent: number
  complete: boolean | null
  sources: SourceReport[]
  file: { name: string; bytes: number; sha256: string; expiresAt: number } | null
  error: { code: ExportErrorCode; message: string } | null
}

/** The sources the job reads (its users are `source:userId`): its file holds their days. */
export function sourcesRead(record: Pick<ExportRecord, 'query'>): string[] {
  return [...new Set(record.query.users.map((user) => user.slice(0, user.indexOf(':'))))].sort()
}

export const FINAL_STATUSES: ReadonlySet<ExportStatusName> = new Set(['succeeded', 'failed', 'cancelled'])

export function isFinal(record: Pick<ExportRecord, 'status'>): boolean {
  return FINAL_STATUSES.has(record.status)
}

function totals(record: ExportRecord): { planned: number; made: number } {
  let planned = 0
  let made = 0
  for (const source of Object.values(record.bySource)) {
    planned += source.plannedCalls
    made += callsMade(source)
  }
  return { planned, made }
}

/** Percent from the calls made against those planned; below 100 until the job has finished. */
export function progressPercent(record: ExportRecord): number {
  if (isFinal(record)) return record.status === 'succeeded' ? 100 : record.percent
  const { planned, made } = totals(record)
  const byCalls = planned === 0 ? 0 : Math.min(99, (100 * made) / planned)
  return Math.max(record.percent, Math.floor(byCalls * 10) / 10)
}

/**
 * Seconds left: each source's calls still planned at its rate limit; sources run in parallel, so the
 * slowest one decides. Null before the job starts and once it has finished.
 */
export function etaSeconds(record: ExportRecord): number | null {
  if (record.status !== 'running') return null
  let eta = 0
  for (const source of Object.values(record.bySource)) {
    const left = Math.max(0, source.plannedCalls - callsMade(source))
    eta = Math.max(eta, left / source.rateLimitPerSecond)
  }
  return Math.ceil(eta)
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function exportJobView(record: ExportRecord): ExportJob {
  const { planned, made } = totals(record)
  return {
    id: record.id,
    status: record.status,
    format: record.format,
    report: record.report ?? 'days',
    from: record.query.from,
    to: record.query.to,
    userCount: record.userCount,
    createdAt: new Date(record.createdAt).toISOString(),
    startedAt: iso(record.startedAt),
    finishedAt: iso(record.finishedAt),
    progress: {
      plannedCalls: planned,
      vendorCalls: made,
      days: record.days,
      percent: progressPercent(record),
    },
    etaSeconds: etaSeconds(record),
    complete: record.complete,
    sources: record.sources,
    file: record.file && { ...record.file, expiresAt: new Date(record.file.expiresAt).toISOString() },
    error: record.error,
  }
}
