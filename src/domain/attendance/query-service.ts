// Fans one query out to its sources in parallel and merges their answers into the contract's shape, in
// order, as they complete (so that the route can stream them).
import type { FastifyBaseLogger } from 'fastify'
import type { QueryMetrics } from '../../platform/metrics/service-metrics.js'
import { parseWorkDate } from '../../platform/time/work-date.js'
import { workDateInZone } from '../../platform/time/zoned-time.js'
import type { AttendanceResponse } from '../../schemas/attendance-query.js'
import type { AnsweredDay, DayResult } from '../../schemas/day-result.js'
import type { SourceReport } from '../../schemas/source-report.js'
import type { SourceDayCache } from './day-cache.js'
import type { AttendanceQuery } from './parse-query.js'
import { type GatePlace, QueryGate } from './query-gate.js'
import { runSource, unitSizeOf } from './run-source.js'
import type { SourceAdapter } from './source.js'
import type { SourceBudget } from './source-budget.js'
import { previewSource, type SourcePreview } from './source-preview.js'

export interface QueryContext {
  /** Aborted when the client goes away or the query deadline passes. */
  signal: AbortSignal
  deadline: number
  log: FastifyBaseLogger
  /** Told of each data call as it is made, with its source (an export job's progress). */
  onVendorCall?: (sourceId: string) => void
  /** Told of the calls other queries made for this one's days since `since` (run-source.ts, SharedCalls). */
  sharedCalls?: { since: number; count: (sourceId: string, calls: number) => void }
}

/**
 * Where the days of a query go: `encode` runs as soon as a chunk is complete, `write` in the answer's order.
 * A `write` that returns a promise says the reader is behind: no further block of that source starts until
 * it resolves. Encoded days of a source that must wait for an earlier one are held; past `maxHeldBytes`
 * (measured by `sizeOf`) that source's blocks wait for their turn to be written too.
 */
export interface ResultOutput<T> {
  encode(days: DayResult[]): T
  write(encoded: T): void | Promise<void>
  sizeOf?(encoded: T): number
  maxHeldBytes?: number
  /**
   * Called once per source, in the answer's order, after the last `write` of that source's days, with
   * its final report (a summary of the source's users can be written then). Like `write`, it must keep
   * the order of what it writes itself.
   */
  endSource?(report: SourceReport): void | Promise<void>
}

/** The places a query holds at its sources' gates, taken before the answer starts. */
export interface Admission {
  places: ReadonlyMap<string, GatePlace>
  /** Gives every place back; execute() does it when it ends. */
  leave(): void
}

/** Some source of the query runs as many queries as it may and has a full queue. */
export class SourcesBusyError extends Error {
  constructor(readonly sourceIds: string[]) {
    super(`sources at their limit of running and queued queries: ${sourceIds.join(', ')}`)
    this.name = 'SourcesBusyError'
  }
}

/** The answer without its days. */
export type QuerySummary = Pick<AttendanceResponse, 'complete' | 'sources'>

export interface QueryServiceOptions {
  /** The result cache of each source that has one. */
  caches?: ReadonlyMap<string, SourceDayCache>
  /** What each source may still spend this month. */
  budgets?: ReadonlyMap<string, SourceBudget>
  /** Wall clock, epoch ms: "today" in each source's zone (retention). */
  now?: () => number
  /** Told of the users each query asks of a source (reconciliation refetches recently queried users). */
  onQueried?: (sourceId: string, userIds: readonly string[]) => void
  /** The person an account belongs to (PEOPLE_FILE), set on each day as `person`; null when none. */
  personOf?: (sourceId: string, userId: string) => string | null
}

export class QueryService {
  private readonly bySource: ReadonlyMap<string, SourceAdapter>
  private readonly gates: ReadonlyMap<string, QueryGate>
  private readonly now: () => number

  constructor(
    adapters: readonly SourceAdapter[],
    private readonly metrics?: QueryMetrics,
    private readonly options: QueryServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.bySource = new Map(adapters.map((adapter) => [adapter.config.id, adapter]))
    this.gates = new Map(
      adapters.map(({ config }) => [
        config.id,
        new QueryGate(config.maxConcurrentQueries, config.maxQueuedQueries),
      ]),
    )
  }

  /** The first epoch day the source's vendor still serves, or undefined when it keeps everything. */
  oldestDay(sourceId: string): number | undefined {
    const config = this.bySource.get(sourceId)?.config
    if (!config || config.retentionDays <= 0) return undefined
    const today = parseWorkDate(workDateInZone(this.now(), config.timezone)) as number
    return today - config.retentionDays
  }

  cacheOf(sourceId: string): SourceDayCache | undefined {
    return this.options.caches?.get(sourceId)
  }

  budgetOf(sourceId: string): SourceBudget | undefined {
    return this.options.budgets?.get(sourceId)
  }

  adapterOf(sourceId: string): SourceAdapter | undefined {
    return this.bySource.get(sourceId)
  }

  /** What the query would cost per source, without any vendor call (GET /attendance/plan). */
  async preview(query: AttendanceQuery): Promise<(SourcePreview & { source: string })[]> {
    const sourceIds = [...query.usersBySource.keys()].sort()
    return Promise.all(
      sourceIds.map(async (sourceId) => {
        const adapter = this.bySource.get(sourceId) as SourceAdapter
        const cache = this.options.caches?.get(sourceId)
        const budget = this.options.budgets?.get(sourceId)
        const preview = await previewSource({
          userIds: query.usersBySource.get(sourceId) ?? [],
          from: query.fromDay,
          to: query.toDay,
          limits: adapter.limits,
          unitSize: unitSizeOf(adapter, cache !== undefined),
          cache,
          lookup: {
            overtime: query.overtime,
            maxAgeMs:
              query.maxAgeSeconds === undefined ? Number.POSITIVE_INFINITY : query.maxAgeSeconds * 1000,
          },
          oldestDay: this.oldestDay(sourceId),
          rowsPerUserDay: budget ? await budget.rowsPerUserDay().catch(() => 2) : 2,
        })
        return { source: sourceId, ...preview }
      }),
    )
  }

  /** Running and queued queries per source, for /sources and the metrics. */
  load(sourceId: string): { running: number; queued: number } | undefined {
    return this.gates.get(sourceId)?.load
  }

  /**
   * Takes a place at the gate of every source the query names, or none: throws SourcesBusyError when a
   * source's queue is full. Called before the answer starts, so that the refusal can still be a 503.
   */
  admit(query: AttendanceQuery): Admission {
    const places = new Map<string, GatePlace>()
    const busy: string[] = []
    for (const sourceId of query.usersBySource.keys()) {
      const place = this.gates.get(sourceId)?.enter()
      if (place) places.set(sourceId, place)
      else busy.push(sourceId)
    }
    const leave = () => {
      for (const place of places.values()) place.leave()
    }
    if (busy.length > 0) {
      leave()
      throw new SourcesBusyError(busy.sort())
    }
    return { places, leave }
  }

  get sourceIds(): string[] {
    return [...this.bySource.keys()]
  }

  get adapters(): SourceAdapter[] {
    return [...this.bySource.values()]
  }

  /** The whole answer at once (what `strict=true` needs before it can choose the status). */
  async run(
    query: AttendanceQuery,
    context: QueryContext,
    admission = this.admit(query),
  ): Promise<AttendanceResponse> {
    const results: AnsweredDay[] = []
    const { complete, sources } = await this.execute(
      query,
      context,
      {
        encode: (days) => {
          // Checked, not assumed: the answer's schema (DayResult) requires both.
          if (!allAnswered(days)) throw new Error('a day without person or fetchedAt reached the answer')
          return days
        },
        write: (days) => {
          for (const day of days) results.push(day)
        },
      },
      admission,
    )
    return { from: query.from, to: query.to, complete, results, sources }
  }

  /**
   * Runs the query and hands its days to `output` in the answer's order (source, userId, workDate) as they
   * complete, a chunk of users at a time, then resolves to the rest of the answer. Sources run in parallel;
   * the days of a source that sorts after one still running are encoded at once (a streamed answer keeps
   * them as compact JSON text, not objects) and held until their turn.
   */
  async execute<T>(
    query: AttendanceQuery,
    context: QueryContext,
    output: ResultOutput<T>,
    admission = this.admit(query),
  ): Promise<QuerySummary> {
    try {
      return await this.executeAdmitted(query, context, output, admission)
    } finally {
      admission.leave()
    }
  }

  private async executeAdmitted<T>(
    query: AttendanceQuery,
    context: QueryContext,
    output: ResultOutput<T>,
    admission: Admission,
  ): Promise<QuerySummary> {
    const started = performance.now()
    const sourceIds = [...query.usersBySource.keys()].sort()
    for (const [sourceId, userIds] of query.usersBySource) this.options.onQueried?.(sourceId, userIds)
    const held: T[][] = sourceIds.map(() => [])
    const heldBytes = sourceIds.map(() => 0)
    // Resolved when source `index` becomes the one being written (its held days are out).
    const turns = sourceIds.map(() => deferred())
    turns[0]?.resolve()
    const finished: (SourceReport | undefined)[] = sourceIds.map(() => undefined)
    const maxHeldBytes = output.maxHeldBytes ?? Number.POSITIVE_INFINITY
    let writing = 0
    let lastWrite: void | Promise<void>
    let results = 0
    const sources = await Promise.all(
      sourceIds.map(async (sourceId, index) => {
        const adapter = this.bySource.get(sourceId)
        if (!adapter) throw new Error(`source ${sourceId} vanished between validation and execution`)
        // A queued query waits here for its turn at this source; if the client leaves meanwhile, the
        // source reports every block as cancelled without calling the vendor.
        await admission.places
          .get(sourceId)
          ?.turn(context.signal)
          .catch(() => {})
        const report = await runSource(adapter, {
          userIds: query.usersBySource.get(sourceId) ?? [],
          from: query.fromDay,
          to: query.toDay,
          overtime: query.overtime,
          includeRaw: query.includeRaw,
          cache: this.options.caches?.get(sourceId),
          maxAgeSeconds: query.maxAgeSeconds,
          oldestDay: this.oldestDay(sourceId),
          budget: this.options.budgets?.get(sourceId),
          signal: context.signal,
          deadline: context.deadline,
          log: context.log,
          onVendorCall: context.onVendorCall ? () => context.onVendorCall?.(sourceId) : undefined,
          sharedCalls: context.sharedCalls && {
            since: context.sharedCalls.since,
            count: (calls) => context.sharedCalls?.count(sourceId, calls),
          },
          onDays: (days) => {
            results += days.length
            for (const day of days) day.person = this.options.personOf?.(sourceId, day.userId) ?? null
            const encoded = output.encode(days)
            if (index === writing) {
              lastWrite = output.write(encoded)
              return lastWrite
            }
            held[index]?.push(encoded)
            heldBytes[index] = (heldBytes[index] ?? 0) + (output.sizeOf?.(encoded) ?? 0)
            // Held past the bound: this source pauses until its turn, then until the reader catches up.
            if ((heldBytes[index] ?? 0) > maxHeldBytes) {
              return turns[index]?.promise.then(() => lastWrite)
            }
            return undefined
          },
        })
        this.metrics?.cacheUse(sourceId, report.cache.hits, report.cache.misses)
        finished[index] = report
        // The source being written is done: write what the next ones hold, up to one still running.
        while (writing < sourceIds.length && finished[writing]) {
          const done = finished[writing]
          // Outputs keep their own order (text is pushed at once, a workbook chains its writes).
          if (done && output.endSource) lastWrite = output.endSource(done)
          writing++
          for (const encoded of held[writing] ?? []) lastWrite = output.write(encoded)
          held[writing] = []
          heldBytes[writing] = 0
          turns[writing]?.resolve()
        }
        return report
      }),
    )
    const complete = sources.every(
      (report) =>
        report.status === 'ok' &&
        report.invalidUserIds.length === 0 &&
        report.unauthorizedUserIds.length === 0,
    )
    this.metrics?.query({
      seconds: (performance.now() - started) / 1000,
      users: [...query.usersBySource.values()].reduce((sum, users) => sum + users.length, 0),
      days: query.toDay - query.fromDay + 1,
      results,
      complete,
    })
    return { complete, sources }
  }

  async close(): Promise<void> {
    await Promise.all(this.adapters.map((adapter) => adapter.close()))
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Every day has what an answer requires of it: `person` (set just before) and `fetchedAt` (runSource). */
function allAnswered(days: DayResult[]): days is AnsweredDay[] {
  return days.every((day) => day.person !== undefined && day.fetchedAt !== undefined)
}
