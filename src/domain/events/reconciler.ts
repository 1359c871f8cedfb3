// Reconciliation, for sources without events or as a safety net behind them: every `everyMinutes`, one
// replica (a shared lock per round) refetches the last `days` days of the users queried in the last 35
// days, through the query service (so within the source's budget and rate limit, and sharing the
// cache). What a refetch finds changed is recorded in the change feed by the cache's content hashes.
import type { FastifyBaseLogger } from 'fastify'
import type { SourceConfig } from '../../config/source-config.js'
import { formatWorkDate, parseWorkDate } from '../../platform/time/work-date.js'
import { workDateInZone } from '../../platform/time/zoned-time.js'
import type { SharedStore } from '../../store/shared-store.js'
import { parseQuery } from '../attendance/parse-query.js'
import { type QueryService, SourcesBusyError } from '../attendance/query-service.js'

/** Users queried within this window are reconciled. */
export const QUERIED_WINDOW_MS = 35 * 24 * 3600 * 1000

export const queriedKey = (sourceId: string) => `queried:{${sourceId}}`

/** Remembers the users a query asked of a source that reconciles (no-op for the others). */
export function recordQueriedUsers(
  store: SharedStore,
  source: SourceConfig | undefined,
  userIds: readonly string[],
  now: number = Date.now(),
): void {
  if (!source?.reconcile) return
  void store.indexAddMany(queriedKey(source.id), userIds, now, QUERIED_WINDOW_MS).catch(() => {})
}

export interface ReconcileRound {
  source: string
  users: number
  from: string
  to: string
  vendorCalls: number
  status: string
}

export interface ReconcilerOptions {
  store: SharedStore
  queryService: QueryService
  sources: readonly SourceConfig[]
  maxUsers: number
  log: FastifyBaseLogger
  now?: () => number
}

export class Reconciler {
  private readonly timers: NodeJS.Timeout[] = []
  private readonly running = new AbortController()
  private readonly now: () => number

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now
  }

  start(): void {
    for (const source of this.options.sources) {
      if (!source.reconcile) continue
      const timer = setInterval(() => {
        this.round(source).catch((error: unknown) =>
          this.options.log.error({ err: error, source: source.id }, 'reconciliation round failed'),
        )
      }, source.reconcile.everyMinutes * 60_000)
      timer.unref()
      this.timers.push(timer)
    }
  }

  /** One round for a source, when this replica wins it; undefined when another replica has it. */
  async round(source: SourceConfig): Promise<ReconcileRound | undefined> {
    const { store, queryService, log } = this.options
    const settings = source.reconcile
    if (!settings) return undefined
    const intervalMs = settings.everyMinutes * 60_000
    const won = await store.setIfAbsent(
      `reconcile:{${source.id}}`,
      String(this.now()),
      Math.max(1000, intervalMs - 1000),
    )
    if (!won) return undefined
    await store.indexTrim(queriedKey(source.id), this.now() - QUERIED_WINDOW_MS)
    const userIds = await store.indexRange(queriedKey(source.id), this.options.maxUsers)
    const today = parseWorkDate(workDateInZone(this.now(), source.timezone)) as number
    const from = formatWorkDate(today - settings.days + 1)
    const to = formatWorkDate(today)
    if (userIds.length === 0) return { source: source.id, users: 0, from, to, vendorCalls: 0, status: 'ok' }
    const query = parseQuery(
      { from, to, users: userIds.map((userId) => `${source.id}:${userId}`), maxAge: 0 },
      { maxRangeDays: settings.days, maxUsers: this.options.maxUsers, sourceIds: queryService.sourceIds },
    )
    let admission: ReturnType<QueryService['admit']>
    try {
      admission = queryService.admit(query)
    } catch (error) {
      if (!(error instanceof SourcesBusyError)) throw error
      log.warn({ source: source.id }, 'reconciliation skipped this round: the source is busy')
      return { source: source.id, users: userIds.length, from, to, vendorCalls: 0, status: 'busy' }
    }
    // The query's deadline is on the real clock (`now` only says which days are the last ones).
    const deadline = Date.now() + intervalMs
    const { sources } = await queryService.execute(
      query,
      {
        signal: AbortSignal.any([this.running.signal, AbortSignal.timeout(intervalMs)]),
        deadline,
        log,
      },
      { encode: () => undefined, write: () => {} },
      admission,
    )
    const report = sources[0]
    const result = {
      source: source.id,
      users: userIds.length,
      from,
      to,
      vendorCalls: report?.vendorCalls ?? 0,
      status: report?.status ?? 'ok',
    }
    log.info(result, 'reconciliation round')
    return result
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer)
    this.running.abort()
  }
}
