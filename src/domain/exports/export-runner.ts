// Runs one export job on this replica: the query as /attendance/results would run it (same cache, same
// gates, same limits), written to a temporary file in the job's format, then stored where every replica
// can serve it. Progress is saved once a second; a cancel flag raised by any replica stops the vendor
// calls within that second. A job taken over after its replica died runs again from the start: the result
// cache holds what the first run fetched, so only the rest is fetched, and the new file has each day once.
// The job's state (running, handed back, its end) must reach the shared store, never only this replica's
// memory: while Redis is away those writes are tried again until it answers (or fail loudly).
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { ExportConfig } from '../../config/config.js'
import { StoreUnavailableError } from '../../store/shared-store.js'
import { type AttendanceQuery, parseQuery, type QueryLimits } from '../attendance/parse-query.js'
import { type Admission, type QueryService, SourcesBusyError } from '../attendance/query-service.js'
import { openAnswerFile } from '../formats/answer-file.js'
import { answerFileName, FILE_EXTENSIONS } from '../formats/media-types.js'
import type { TempFiles } from '../formats/temp-files.js'
import { type PeopleLookup, SummaryCollector } from '../summaries/summary-collector.js'
import type { ExportFiles } from './export-files.js'
import { callsMade, type ExportRecord, isFinal, progressPercent } from './export-record.js'
import type { ExportStore } from './export-store.js'

export interface ExportRunnerMetrics {
  exportState(state: string): void
  exportFinished(status: string, seconds: number, bytes: number): void
}

export interface ExportRunnerOptions {
  store: ExportStore
  files: ExportFiles
  queryService: QueryService
  tempFiles: TempFiles
  limits: Omit<QueryLimits, 'sourceIds'>
  config: ExportConfig
  log: FastifyBaseLogger
  metrics?: ExportRunnerMetrics
  /** The people of PEOPLE_FILE, for the summaries' `person` and groupBy=person. */
  people?: PeopleLookup
  now?: () => number
  /** How often progress is saved and the cancel flag read. */
  tickMs?: number
  /** How long a state write waits for Redis to come back before it fails (STATE_WRITE_PATIENCE_MS). */
  storePatienceMs?: number
}

/**
 * A state write (running, handed back, the end) is tried again while the shared store is away: the
 * breaker lets a try through once a second after its first 5 s. Past this the job fails loudly (logged,
 * and the queue's failure handler tries to write it failed); a replica that stops meanwhile leaves the job
 * to be taken over. Nobody else can take the job while Redis is away, so waiting holds nothing up.
 */
const STATE_WRITE_PATIENCE_MS = 120_000
const STATE_WRITE_RETRY_MS = 1000

const TOO_LARGE = 'too-large'
const CANCELLED = 'cancelled'

export class ExportRunner {
  private readonly now: () => number
  private readonly tickMs: number
  private readonly storePatienceMs: number

  constructor(private readonly options: ExportRunnerOptions) {
    this.now = options.now ?? Date.now
    this.tickMs = options.tickMs ?? 1000
    this.storePatienceMs = options.storePatienceMs ?? STATE_WRITE_PATIENCE_MS
  }

  /** A store operation the job's state depends on, tried again while the shared store is away. */
  private async patiently<T>(operation: () => Promise<T>): Promise<T> {
    const giveUpAt = this.now() + this.storePatienceMs
    for (;;) {
      try {
        return await operation()
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || this.now() >= giveUpAt) throw error
        await sleep(STATE_WRITE_RETRY_MS)
      }
    }
  }

  /** The queue's processor. */
  readonly process = async (
    id: string,
    stopping: AbortSignal,
    canHandBack: boolean,
  ): Promise<'done' | 'handed-back'> => {
    const { store, log } = this.options
    const record = await this.patiently(() => store.get(id))
    if (!record || isFinal(record)) return 'done'
    const started = this.now()
    try {
      return await this.runRecord(record, stopping, canHandBack)
    } catch (error) {
      log.error({ err: error, exportId: id }, 'export job failed')
      await this.finish(record, started, 'failed', {
        error: { code: 'EXPORT_FAILED', message: error instanceof Error ? error.message : String(error) },
      })
      return 'done'
    }
  }

  /**
   * The queue gave up on a job (its replicas kept dying, or its run failed without writing its end): it is
   * failed, unless it finished meanwhile. Never rejects: what cannot be written is logged.
   */
  readonly lost = async (id: string, reason: string): Promise<void> => {
    try {
      const record = await this.patiently(() => this.options.store.get(id))
      if (!record || isFinal(record)) return
      await this.finish(record, this.now(), 'failed', {
        error: {
          code: 'EXPORT_STOPPED',
          message: `every replica that ran the job stopped first (${reason})`,
        },
      })
    } catch (error) {
      this.options.log.error(
        { err: error, exportId: id },
        'export job lost, and its end could not be written',
      )
    }
  }

  private async runRecord(
    record: ExportRecord,
    stopping: AbortSignal,
    canHandBack: boolean,
  ): Promise<'done' | 'handed-back'> {
    const { store, queryService, tempFiles, config } = this.options
    const started = this.now()
    if (await this.patiently(() => store.cancelRequested(record.id))) {
      await this.finish(record, started, 'cancelled', {})
      return 'done'
    }
    let query: AttendanceQuery
    try {
      query = parseQuery(record.query, { ...this.options.limits, sourceIds: queryService.sourceIds })
    } catch (error) {
      await this.finish(record, started, 'failed', {
        error: { code: 'EXPORT_INVALID', message: error instanceof Error ? error.message : String(error) },
      })
      return 'done'
    }

    // The plan of this run: what an earlier run already called counts as done.
    for (const preview of await queryService.preview(query)) {
      const rate = queryService.adapterOf(preview.source)?.config.rateLimitPerSecond ?? 1
      const before = record.bySource[preview.source]
      record.bySource[preview.source] = {
        plannedCalls: (before ? callsMade(before) : 0) + preview.plannedCalls,
        vendorCalls: before?.vendorCalls ?? 0,
        sharedCalls: before?.sharedCalls ?? 0,
        rateLimitPerSecond: rate,
      }
    }
    // Days other queries fetch from now on are this run's progress too (the preview counted those before).
    const planned = this.now()
    record.status = 'running'
    record.startedAt ??= started
    record.attempts++
    record.days = 0
    await this.patiently(() => store.save(record))
    this.options.metrics?.exportState('running')

    const stop = new AbortController()
    const signal = AbortSignal.any([stop.signal, stopping, AbortSignal.timeout(config.timeoutSeconds * 1000)])
    const path = tempFiles.create(FILE_EXTENSIONS[record.format])
    const file = await openAnswerFile(path, {
      format: record.format,
      from: record.query.from,
      to: record.query.to,
      bom: record.bom,
      maxBytes: config.maxFileBytes,
      onTooLarge: () => stop.abort(TOO_LARGE),
      report: record.report ?? 'days',
      // Summaries for a summary report, and for the Summary sheet of a workbook of days.
      summaries:
        record.report === 'summary' || record.format === 'xlsx'
          ? {
              collector: new SummaryCollector(query.usersBySource, this.options.people),
              groupBy: record.groupBy,
            }
          : undefined,
    })
    let saving = Promise.resolve()
    const tick = () => {
      saving = saving.then(async () => {
        if (await store.cancelRequested(record.id).catch(() => false)) stop.abort(CANCELLED)
        record.days = file.days
        record.percent = progressPercent(record)
        await store.save(record).catch(() => {})
      })
    }
    const ticker = setInterval(tick, this.tickMs)
    let finished = false
    try {
      const admission = await this.admit(query, signal)
      if (!admission) {
        return await this.stopped(record, started, stop.signal.reason, stopping, canHandBack)
      }
      const summary = await queryService.execute(
        query,
        {
          signal,
          deadline: this.now() + config.timeoutSeconds * 1000,
          log: this.options.log.child({ exportId: record.id }),
          onVendorCall: (sourceId) => {
            const source = record.bySource[sourceId]
            if (source) source.vendorCalls++
          },
          sharedCalls: {
            since: planned,
            count: (sourceId, calls) => {
              const source = record.bySource[sourceId]
              if (source) source.sharedCalls = (source.sharedCalls ?? 0) + calls
            },
          },
        },
        file.output,
        admission,
      )
      clearInterval(ticker)
      await saving
      record.days = file.days
      if (
        stop.signal.aborted ||
        stopping.aborted ||
        (await this.patiently(() => store.cancelRequested(record.id)))
      ) {
        // Stopped by this replica's shutdown is not a cancel: the job is handed back (or stopped).
        const reason = stop.signal.aborted
          ? stop.signal.reason
          : stopping.aborted
            ? stopping.reason
            : CANCELLED
        return await this.stopped(record, started, reason, stopping, canHandBack)
      }
      const written = await file.finish(summary)
      finished = true
      const ttlMs = config.ttlSeconds * 1000
      await this.options.files.put(record.id, path, ttlMs)
      await this.finish(record, started, 'succeeded', {
        complete: summary.complete,
        sources: summary.sources,
        file: {
          name: answerFileName(record.query.from, record.query.to, record.format, record.report),
          bytes: written.bytes,
          sha256: written.sha256,
          expiresAt: this.now() + ttlMs,
        },
      })
      return 'done'
    } finally {
      clearInterval(ticker)
      if (!finished) await file.destroy()
      await tempFiles.remove(path)
    }
  }

  /** Waits for a place at the sources' gates (other queries and jobs may hold them all); undefined if stopped. */
  private async admit(query: AttendanceQuery, signal: AbortSignal): Promise<Admission | undefined> {
    for (;;) {
      if (signal.aborted) return undefined
      try {
        return this.options.queryService.admit(query)
      } catch (error) {
        if (!(error instanceof SourcesBusyError)) throw error
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 1000)
          signal.addEventListener('abort', () => resolve(clearTimeout(timer)), { once: true })
        })
      }
    }
  }

  /** A run that did not reach its end: cancelled, too large, or this replica is stopping. */
  private async stopped(
    record: ExportRecord,
    started: number,
    reason: unknown,
    stopping: AbortSignal,
    canHandBack: boolean,
  ): Promise<'done' | 'handed-back'> {
    if (reason === TOO_LARGE) {
      await this.finish(record, started, 'failed', {
        error: {
          code: 'EXPORT_FILE_TOO_LARGE',
          message: `the file would pass EXPORT_MAX_FILE_BYTES (${this.options.config.maxFileBytes} bytes): export fewer users or days per job`,
        },
      })
      return 'done'
    }
    if (stopping.aborted && reason !== CANCELLED) {
      if (canHandBack) {
        // Queued again for another replica; what this run fetched is in the cache for the next one.
        record.status = 'queued'
        record.percent = progressPercent({ ...record, status: 'running' })
        await this.patiently(() => this.options.store.save(record))
        this.options.metrics?.exportState('queued')
        return 'handed-back'
      }
      await this.finish(record, started, 'failed', {
        error: { code: 'EXPORT_STOPPED', message: 'the service stopped before the job finished' },
      })
      return 'done'
    }
    if (reason === CANCELLED || (await this.patiently(() => this.options.store.cancelRequested(record.id)))) {
      await this.finish(record, started, 'cancelled', {})
      return 'done'
    }
    // The job's own deadline passed before a gate let it in.
    await this.finish(record, started, 'failed', {
      error: {
        code: 'EXPORT_FAILED',
        message: `the job did not finish within ${this.options.config.timeoutSeconds} s`,
      },
    })
    return 'done'
  }

  private async finish(
    record: ExportRecord,
    started: number,
    status: 'succeeded' | 'failed' | 'cancelled',
    fields: Partial<Pick<ExportRecord, 'complete' | 'sources' | 'file' | 'error'>>,
  ): Promise<void> {
    const finishedAt = this.now()
    // The calls made up to the end, not only up to the last progress save (100 once succeeded).
    record.percent = progressPercent({ ...record, status: 'running' })
    Object.assign(record, { status, finishedAt, ...fields })
    record.percent = progressPercent(record)
    await this.patiently(() => this.options.store.save(record))
    this.options.metrics?.exportFinished(status, (finishedAt - started) / 1000, record.file?.bytes ?? 0)
  }
}
