// Fans one query out to its sources in parallel and merges their answers into the contract's shape, in
// order, as they complete (so that the route can stream them).
import type { FastifyBaseLogger } from 'fastify'
import type { QueryMetrics } from '../metrics/service-metrics.js'
import type { AttendanceResponse } from '../schemas/attendance-query.js'
import type { DayResult } from '../schemas/day-result.js'
import type { AttendanceQuery } from './parse-query.js'
import { runSource } from './run-source.js'
import type { SourceAdapter } from './source.js'

export interface QueryContext {
  /** Aborted when the client goes away or the query deadline passes. */
  signal: AbortSignal
  deadline: number
  log: FastifyBaseLogger
}

/** Where the days of a query go: `encode` runs as soon as a chunk is complete, `write` in the answer's order. */
export interface ResultOutput<T> {
  encode(days: DayResult[]): T
  write(encoded: T): void
}

/** The answer without its days. */
export type QuerySummary = Pick<AttendanceResponse, 'complete' | 'sources'>

export class QueryService {
  private readonly bySource: ReadonlyMap<string, SourceAdapter>

  constructor(
    adapters: readonly SourceAdapter[],
    private readonly metrics?: QueryMetrics,
  ) {
    this.bySource = new Map(adapters.map((adapter) => [adapter.config.id, adapter]))
  }

  get sourceIds(): string[] {
    return [...this.bySource.keys()]
  }

  get adapters(): SourceAdapter[] {
    return [...this.bySource.values()]
  }

  /** The whole answer at once (what `strict=true` needs before it can choose the status). */
  async run(query: AttendanceQuery, context: QueryContext): Promise<AttendanceResponse> {
    const results: DayResult[] = []
    const { complete, sources } = await this.execute(query, context, {
      encode: (days) => days,
      write: (days) => {
        for (const day of days) results.push(day)
      },
    })
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
  ): Promise<QuerySummary> {
    const started = performance.now()
    const sourceIds = [...query.usersBySource.keys()].sort()
    const held: T[][] = sourceIds.map(() => [])
    const finished = sourceIds.map(() => false)
    let writing = 0
    let results = 0
    const sources = await Promise.all(
      sourceIds.map(async (sourceId, index) => {
        const adapter = this.bySource.get(sourceId)
        if (!adapter) throw new Error(`source ${sourceId} vanished between validation and execution`)
        const report = await runSource(adapter, {
          userIds: query.usersBySource.get(sourceId) ?? [],
          from: query.fromDay,
          to: query.toDay,
          overtime: query.overtime,
          includeRaw: query.includeRaw,
          signal: context.signal,
          deadline: context.deadline,
          log: context.log,
          onDays: (days) => {
            results += days.length
            const encoded = output.encode(days)
            if (index === writing) output.write(encoded)
            else held[index]?.push(encoded)
          },
        })
        finished[index] = true
        // The source being written is done: write what the next ones hold, up to one still running.
        while (writing < sourceIds.length && finished[writing]) {
          writing++
          for (const encoded of held[writing] ?? []) output.write(encoded)
          held[writing] = []
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
