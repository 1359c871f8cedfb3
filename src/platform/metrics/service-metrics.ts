// The service's Prometheus metrics, created on a Registry of their own (one per app: tests build many
// apps in one process, and prom-client's global registry would make them collide). The vendor layer and
// the query service see only the small SourceMetrics / QueryMetrics interfaces, never prom-client.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { SharedStore } from '../../store/shared-store.js'

/** What one source's vendor layer reports; bound to the source's id by ServiceMetrics.forSource. */
export interface SourceMetrics {
  /** A vendor call ended: `ok`, or the service error code it failed with (VENDOR_RATE_LIMITED, TIMEOUT, …). */
  vendorCall(endpoint: string, outcome: string): void
  /** Time one HTTP exchange with the vendor took. */
  vendorLatency(endpoint: string, seconds: number): void
  /** A failed attempt is about to be tried again; `reason` is its error code (TOKEN_REJECTED: fresh token). */
  retry(reason: string): void
  /** A token was fetched from the vendor by this replica. */
  tokenFetched(): void
  /** Time a call waited for its rate-limit slot. */
  rateLimitWait(seconds: number): void
  /** The calls a second the replicas pace the source at, as last read from the shared store. */
  rateInForce(perSecond: number): void
  /** A vendor's refusal for rate cut the rate in force (adaptive pacing). */
  rateCut(): void
  /** A call's rate-limit permit went stale before the request was written: paced again, never sent. */
  stalePermit(): void
  /** A query waited for another query's fetch of the same block instead of calling the vendor. */
  coalescedWait(): void
}

export interface QueryObservation {
  seconds: number
  users: number
  days: number
  results: number
  complete: boolean
}

export interface QueryMetrics {
  query(observation: QueryObservation): void
  /** User-days of one source's part of a query answered from the result cache, and not. */
  cacheUse(source: string, hits: number, misses: number): void
}

const SOURCE_LABELS = ['source'] as const
/** The longest a gauge waits for what it reads at scrape time (as long as a store command may take). */
const SCRAPE_WAIT_MS = 1000

/** The promise's value, or a rejection once `ms` have passed. */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

export class ServiceMetrics implements QueryMetrics {
  readonly registry = new Registry()

  private readonly vendorCalls = new Counter({
    name: 'attendance_vendor_calls_total',
    help: 'Vendor calls sent, retries and token calls included, by outcome: ok or the service error code',
    labelNames: ['source', 'endpoint', 'outcome'] as const,
    registers: [this.registry],
  })

  private readonly vendorLatencySeconds = new Histogram({
    name: 'attendance_vendor_request_duration_seconds',
    help: 'Duration of one HTTP exchange with a vendor (rate-limit wait excluded)',
    labelNames: ['source', 'endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  private readonly retries = new Counter({
    name: 'attendance_vendor_retries_total',
    help: 'Vendor call attempts retried, by the error code of the failed attempt',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  })

  private readonly cacheHits = new Counter({
    name: 'attendance_cache_hits_total',
    help: 'User-days answered from the result cache',
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly cacheMisses = new Counter({
    name: 'attendance_cache_misses_total',
    help: 'User-days not in the result cache (fetched, or missing)',
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly coalescedWaits = new Counter({
    name: 'attendance_coalesced_waits_total',
    help: "Blocks a query waited for another query's fetch of instead of calling the vendor",
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly tokenFetches = new Counter({
    name: 'attendance_token_fetches_total',
    help: 'Tokens fetched from the vendor by this replica (one fetch serves every replica through the store)',
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly rateLimitWaitSeconds = new Histogram({
    name: 'attendance_rate_limit_wait_seconds',
    help: 'Time a vendor call waited for a slot of the shared rate limit',
    labelNames: SOURCE_LABELS,
    buckets: [0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  })

  private readonly rateInForceGauge = new Gauge({
    name: 'attendance_vendor_rate_in_force',
    help: 'Calls per second all replicas pace the source at now: its rateLimitPerSecond, or less after the vendor refused calls for rate',
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly rateCuts = new Counter({
    name: 'attendance_vendor_rate_cuts_total',
    help: "Cuts of the source's rate in force made by this replica after a vendor refused a call for rate",
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly stalePermits = new Counter({
    name: 'attendance_rate_limit_stale_permits_total',
    help: 'Vendor calls held up past the safety window between their rate-limit admission and the socket write (a starved CPU, a slow connect): paced again instead of sent',
    labelNames: SOURCE_LABELS,
    registers: [this.registry],
  })

  private readonly queryDurationSeconds = new Histogram({
    name: 'attendance_query_duration_seconds',
    help: 'Duration of one attendance query, all sources, vendor calls and waits included',
    labelNames: ['complete'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  })

  private readonly queryUsers = new Histogram({
    name: 'attendance_query_users',
    help: 'Distinct users named by one query',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  })

  private readonly queryDays = new Histogram({
    name: 'attendance_query_days',
    help: 'Days in the range of one query, inclusive',
    buckets: [1, 7, 14, 31, 62, 93, 186, 366],
    registers: [this.registry],
  })

  private readonly queryResults = new Histogram({
    name: 'attendance_query_results',
    help: 'Day results answered by one query',
    buckets: [0, 10, 100, 1000, 10_000, 100_000, 1_000_000],
    registers: [this.registry],
  })

  private readonly bySource = new Map<string, SourceMetrics>()

  private readonly exportTransitions = new Counter({
    name: 'attendance_export_jobs_total',
    help: 'Export jobs entering each state on this replica: queued (created), running (a run started), succeeded, failed, cancelled',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })

  private readonly exportDurationSeconds = new Histogram({
    name: 'attendance_export_duration_seconds',
    help: 'Duration of one run of an export job on this replica, from start to its final state',
    labelNames: ['status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600],
    registers: [this.registry],
  })

  private readonly exportBytes = new Counter({
    name: 'attendance_export_bytes_total',
    help: 'Bytes of export files written by this replica',
    registers: [this.registry],
  })

  private readonly events = new Counter({
    name: 'attendance_events_total',
    help: 'Vendor change events received by this replica, by source, event type and outcome (applied, duplicate, ignored, or the reason it was refused)',
    labelNames: ['source', 'type', 'outcome'] as const,
    registers: [this.registry],
  })

  event(source: string, type: string, outcome: string): void {
    this.events.inc({ source, type, outcome })
  }

  exportState(state: string): void {
    this.exportTransitions.inc({ state })
  }

  exportFinished(status: string, seconds: number, bytes: number): void {
    this.exportTransitions.inc({ state: status })
    this.exportDurationSeconds.observe({ status }, seconds)
    if (bytes > 0) this.exportBytes.inc(bytes)
  }

  /** Export jobs by queue state, all replicas together (BullMQ's counts, or this process's queue). */
  watchExports(counts: () => Promise<Record<string, number>>): void {
    new Gauge({
      name: 'attendance_export_jobs',
      help: 'Export jobs now in each queue state: waiting, active, and so on',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        // BullMQ's connection waits for Redis for ever while it is away: a scrape must not.
        const byState = await withinMs(counts(), SCRAPE_WAIT_MS).catch(() => undefined)
        this.reset()
        for (const [state, count] of Object.entries(byState ?? {})) this.set({ state }, count)
      },
    })
  }

  forSource(source: string): SourceMetrics {
    let bound = this.bySource.get(source)
    if (!bound) {
      bound = {
        vendorCall: (endpoint, outcome) => this.vendorCalls.inc({ source, endpoint, outcome }),
        vendorLatency: (endpoint, seconds) =>
          this.vendorLatencySeconds.observe({ source, endpoint }, seconds),
        retry: (reason) => this.retries.inc({ source, reason }),
        tokenFetched: () => this.tokenFetches.inc({ source }),
        rateLimitWait: (seconds) => this.rateLimitWaitSeconds.observe({ source }, seconds),
        rateInForce: (perSecond) => this.rateInForceGauge.set({ source }, perSecond),
        rateCut: () => this.rateCuts.inc({ source }),
        stalePermit: () => this.stalePermits.inc({ source }),
        coalescedWait: () => this.coalescedWaits.inc({ source }),
      }
      this.bySource.set(source, bound)
    }
    return bound
  }

  cacheUse(source: string, hits: number, misses: number): void {
    this.cacheHits.inc({ source }, hits)
    this.cacheMisses.inc({ source }, misses)
  }

  query({ seconds, users, days, results, complete }: QueryObservation): void {
    this.queryDurationSeconds.observe({ complete: String(complete) }, seconds)
    this.queryUsers.observe(users)
    this.queryDays.observe(days)
    this.queryResults.observe(results)
  }

  /** This month's calls and the budget left, per source, read from the shared store at scrape time. */
  watchAccounting(
    accounting: ReadonlyMap<
      string,
      {
        usage(): Promise<{ dataCalls: number; tokenCalls: number }>
        budget(): Promise<{ remaining: number } | null>
      }
    >,
  ): void {
    new Gauge({
      name: 'attendance_vendor_calls_this_month',
      help: 'Vendor calls this calendar month (source zone), all replicas together; kind: data or token',
      labelNames: ['source', 'kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset()
        for (const [source, account] of accounting) {
          const usage = await account.usage().catch(() => undefined)
          if (!usage) continue
          this.set({ source, kind: 'data' }, usage.dataCalls)
          this.set({ source, kind: 'token' }, usage.tokenCalls)
        }
      },
    })
    new Gauge({
      name: 'attendance_budget_remaining_calls',
      help: "Data calls left of the source's monthlyCallBudget this month (sources with a budget only)",
      labelNames: SOURCE_LABELS,
      registers: [this.registry],
      async collect() {
        this.reset()
        for (const [source, account] of accounting) {
          const budget = await account.budget().catch(() => null)
          if (budget) this.set({ source }, budget.remaining)
        }
      },
    })
  }

  /** DingTalk's event pushes this month and the allowance, per source, read from the shared store at scrape time. */
  watchEventAllowances(
    allowances: ReadonlyMap<string, { readonly limit: number; used(): Promise<number> }>,
  ): void {
    new Gauge({
      name: 'attendance_dingtalk_event_pushes_this_month',
      help: "DingTalk events received this calendar month (source zone), each once, all replicas together: they count against the org's monthly event allowance",
      labelNames: SOURCE_LABELS,
      registers: [this.registry],
      async collect() {
        this.reset()
        for (const [source, allowance] of allowances) {
          const used = await allowance.used().catch(() => undefined)
          if (used !== undefined) this.set({ source }, used)
        }
      },
    })
    new Gauge({
      name: 'attendance_dingtalk_event_allowance',
      help: "DingTalk events a month the org's edition allows (the source's events.monthlyAllowance; 3,000 on the standard edition)",
      labelNames: SOURCE_LABELS,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [source, allowance] of allowances) this.set({ source }, allowance.limit)
      },
    })
  }

  /**
   * Store health, read at scrape time with a ping, as /readyz does: 1 while the configured store answers
   * (Redis, shared by the replicas; or the in-memory store of a single replica, which always does), 0 while
   * Redis is away and this replica serves tokens and rate limits from local fallback state.
   */
  watchStore(store: SharedStore): void {
    new Gauge({
      name: 'attendance_store_shared',
      help: '1: the configured store (label kind) answers; 0: Redis is away, serving from local fallback state',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        const answers = await store.ping().then(
          () => 1,
          () => 0,
        )
        this.reset()
        this.set({ kind: store.kind }, answers)
      },
    })
  }
}
