// Fans one query out to its sources in parallel and merges their answers into the contract's shape.
import type { FastifyBaseLogger } from 'fastify'
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

export class QueryService {
  private readonly bySource: ReadonlyMap<string, SourceAdapter>

  constructor(adapters: readonly SourceAdapter[]) {
    this.bySource = new Map(adapters.map((adapter) => [adapter.config.id, adapter]))
  }

  get sourceIds(): string[] {
    return [...this.bySource.keys()]
  }

  get adapters(): SourceAdapter[] {
    return [...this.bySource.values()]
  }

  async run(query: AttendanceQuery, context: QueryContext): Promise<AttendanceResponse> {
    const sourceIds = [...query.usersBySource.keys()].sort()
    const outcomes = await Promise.all(
      sourceIds.map((sourceId) => {
        const adapter = this.bySource.get(sourceId)
        if (!adapter) throw new Error(`source ${sourceId} vanished between validation and execution`)
        return runSource(adapter, {
          userIds: query.usersBySource.get(sourceId) ?? [],
          from: query.fromDay,
          to: query.toDay,
          overtime: query.overtime,
          includeRaw: query.includeRaw,
          signal: context.signal,
          deadline: context.deadline,
          log: context.log,
        })
      }),
    )
    const results = outcomes.flatMap((outcome) => outcome.days).sort(byPosition)
    const sources = outcomes.map((outcome) => outcome.report)
    const complete = sources.every(
      (report) =>
        report.status === 'ok' &&
        report.invalidUserIds.length === 0 &&
        report.unauthorizedUserIds.length === 0,
    )
    return { from: query.from, to: query.to, complete, results, sources }
  }

  async close(): Promise<void> {
    await Promise.all(this.adapters.map((adapter) => adapter.close()))
  }
}

/** Sorted by source, userId, workDate: plain code-unit order, the same on every machine and locale. */
function byPosition(a: DayResult, b: DayResult): number {
  return compare(a.source, b.source) || compare(a.userId, b.userId) || compare(a.workDate, b.workDate)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
