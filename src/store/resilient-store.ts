import { type Clock, systemClock } from '../platform/time/clock.js'
import { MemoryStore } from './memory-store.js'
import {
  type AppStore,
  type CacheEntryWrite,
  type LimiterKeys,
  type LogEntry,
  type OnceRecord,
  type PaceChange,
  type PaceSettings,
  type SendReservation,
  type SharedStore,
  StoreUnavailableError,
  type WindowAdmission,
} from './shared-store.js'

export interface StoreHealth {
  /** Which store answers now: the shared one, or the local fallback while the shared one is away. */
  mode: 'shared' | 'local-fallback'
  since: number
}

export interface ResilientStoreOptions {
  /**
   * While the shared store is away each replica limits itself alone, so it takes only its share of every
   * rate limit: the interval between its slots is multiplied by this (the number of replicas expected).
   */
  expectedReplicas: number
  onModeChange?: (health: StoreHealth) => void
  /** After a failure, how long every operation is served locally before the shared store is probed. */
  openMs?: number
  /** While probes fail, how often the shared store is probed again. */
  probeIntervalMs?: number
  /** A probe (PING) not answered within this counts as failed. */
  probeTimeoutMs?: number
  clock?: Clock
}

export const BREAKER_DEFAULTS = { openMs: 5000, probeIntervalMs: 1000, probeTimeoutMs: 500 } as const

/**
 * The shared store with a local fallback, behind a circuit breaker. A Redis that stops answering without
 * closing the connection (SIGSTOP, a partition, a failover without RST) makes every command wait for its
 * timeout; trying Redis first on every operation would cost each vendor call several timeouts. So the
 * first failure or timeout opens the breaker: for `openMs`, and then until a background PING answers,
 * every operation is served from process memory (rate limits at 1/expectedReplicas of the rate) and none
 * waits on Redis. Tokens fetched meanwhile live only in this process.
 *
 * `durable` is the shared store behind the same breaker but without the fallback: while the breaker is
 * open its operations fail at once with StoreUnavailableError (and a failure opens the breaker), so what
 * must reach the fleet (an acknowledged event, an export job) is refused instead of kept in one process.
 */
export class ResilientStore implements AppStore {
  readonly kind: 'redis' | 'memory'
  readonly durable: SharedStore
  private readonly local: MemoryStore
  private readonly clock: Clock
  private readonly openMs: number
  private readonly probeIntervalMs: number
  private readonly probeTimeoutMs: number
  private state: StoreHealth
  /** While open: when (monotonic ms) the next probe may be sent. */
  private nextProbeAt = 0
  private probing = false
  private probeTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly shared: SharedStore,
    private readonly options: ResilientStoreOptions,
  ) {
    this.kind = shared.kind
    this.clock = options.clock ?? systemClock
    this.local = new MemoryStore({ clock: this.clock })
    this.openMs = options.openMs ?? BREAKER_DEFAULTS.openMs
    this.probeIntervalMs = options.probeIntervalMs ?? BREAKER_DEFAULTS.probeIntervalMs
    this.probeTimeoutMs = options.probeTimeoutMs ?? BREAKER_DEFAULTS.probeTimeoutMs
    this.state = { mode: 'shared', since: this.clock.now() }
    this.durable = this.withoutFallback(shared)
  }

  /** Every method of the shared store, called through the breaker with no local fallback. */
  private withoutFallback(shared: SharedStore): SharedStore {
    return new Proxy(shared, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function' || property === 'close') return value
        return (...args: unknown[]) => this.sharedOnly(() => value.apply(target, args))
      },
    })
  }

  private async sharedOnly<T>(onShared: () => Promise<T>): Promise<T> {
    if (this.state.mode === 'local-fallback') {
      this.probeIfDue()
      throw new StoreUnavailableError('shared store is not answering (circuit open)')
    }
    try {
      return await onShared()
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.open()
      throw error
    }
  }

  health(): StoreHealth {
    return this.state
  }

  get(key: string) {
    return this.attempt(
      () => this.shared.get(key),
      () => this.local.get(key),
    )
  }

  set(key: string, value: string, ttlMs: number) {
    return this.attempt(
      () => this.shared.set(key, value, ttlMs),
      () => this.local.set(key, value, ttlMs),
    )
  }

  delete(key: string) {
    return this.attempt(
      () => this.shared.delete(key),
      () => this.local.delete(key),
    )
  }

  deleteIfEquals(key: string, expected: string) {
    return this.attempt(
      () => this.shared.deleteIfEquals(key, expected),
      () => this.local.deleteIfEquals(key, expected),
    )
  }

  extendIfEquals(key: string, expected: string, ttlMs: number) {
    return this.attempt(
      () => this.shared.extendIfEquals(key, expected, ttlMs),
      () => this.local.extendIfEquals(key, expected, ttlMs),
    )
  }

  setIfAbsent(key: string, value: string, ttlMs: number) {
    return this.attempt(
      () => this.shared.setIfAbsent(key, value, ttlMs),
      () => this.local.setIfAbsent(key, value, ttlMs),
    )
  }

  reserveSend(keys: LimiterKeys, pace: PaceSettings, maxWaitMs: number): Promise<SendReservation> {
    return this.attempt(
      () => this.shared.reserveSend(keys, pace, maxWaitMs),
      () => this.local.reserveSend(keys, this.localShare(pace), maxWaitMs),
    )
  }

  slowDown(paceKey: string, pace: PaceSettings, pacedAt: number): Promise<PaceChange> {
    return this.attempt(
      () => this.shared.slowDown(paceKey, pace, pacedAt),
      // A permit the shared store gave was paced at the fleet's rate: in the local share's terms, a share of it.
      () => this.local.slowDown(paceKey, this.localShare(pace), pacedAt / this.options.expectedReplicas),
    )
  }

  paceInForce(paceKey: string, pace: PaceSettings): Promise<number> {
    return this.attempt(
      () => this.shared.paceInForce(paceKey, pace),
      () => this.local.paceInForce(paceKey, this.localShare(pace)),
    )
  }

  /** While alone, a replica takes only its share of the source's rate. */
  private localShare(pace: PaceSettings): PaceSettings {
    return { ...pace, ratePerSecond: pace.ratePerSecond / this.options.expectedReplicas }
  }

  admitToWindow(keys: Pick<LimiterKeys, 'log' | 'pace'>, pace: PaceSettings): Promise<WindowAdmission> {
    return this.attempt(
      () => this.shared.admitToWindow(keys, pace),
      () => this.local.admitToWindow(keys, this.localShare(pace)),
    )
  }

  confirmSend(key: string, ticket: string): Promise<void> {
    return this.attempt(
      () => this.shared.confirmSend(key, ticket),
      () => this.local.confirmSend(key, ticket),
    )
  }

  logAppend(key: string, fields: Readonly<Record<string, string>>, keepMs: number): Promise<string> {
    return this.attempt(
      () => this.shared.logAppend(key, fields, keepMs),
      () => this.local.logAppend(key, fields, keepMs),
    )
  }

  recordOnce(record: OnceRecord): Promise<number | null> {
    return this.attempt(
      () => this.shared.recordOnce(record),
      () => this.local.recordOnce(record),
    )
  }

  logRead(key: string, afterId: string | null, limit: number): Promise<LogEntry[]> {
    return this.attempt(
      () => this.shared.logRead(key, afterId, limit),
      () => this.local.logRead(key, afterId, limit),
    )
  }

  indexAdd(key: string, member: string, score: number, ttlMs: number): Promise<void> {
    return this.attempt(
      () => this.shared.indexAdd(key, member, score, ttlMs),
      () => this.local.indexAdd(key, member, score, ttlMs),
    )
  }

  indexAddMany(key: string, members: readonly string[], score: number, ttlMs: number): Promise<void> {
    return this.attempt(
      () => this.shared.indexAddMany(key, members, score, ttlMs),
      () => this.local.indexAddMany(key, members, score, ttlMs),
    )
  }

  indexTrim(key: string, minScore: number): Promise<void> {
    return this.attempt(
      () => this.shared.indexTrim(key, minScore),
      () => this.local.indexTrim(key, minScore),
    )
  }

  indexRange(key: string, limit: number): Promise<string[]> {
    return this.attempt(
      () => this.shared.indexRange(key, limit),
      () => this.local.indexRange(key, limit),
    )
  }

  indexRemove(key: string, member: string): Promise<void> {
    return this.attempt(
      () => this.shared.indexRemove(key, member),
      () => this.local.indexRemove(key, member),
    )
  }

  incrementUnless(key: string, unlessKey: string, by: number, ttlMs: number): Promise<number | null> {
    return this.attempt(
      () => this.shared.incrementUnless(key, unlessKey, by, ttlMs),
      () => this.local.incrementUnless(key, unlessKey, by, ttlMs),
    )
  }

  increment(key: string, by: number, ttlMs: number): Promise<number> {
    return this.attempt(
      () => this.shared.increment(key, by, ttlMs),
      () => this.local.increment(key, by, ttlMs),
    )
  }

  /**
   * While Redis is away the cache counts as empty: every entry a miss, nothing written. Serving entries
   * from the fallback's memory instead would answer from whatever this one replica happened to keep.
   */
  getEntries(keys: readonly string[]): Promise<(string | null)[]> {
    return this.attempt(
      () => this.shared.getEntries(keys),
      async () => keys.map(() => null),
    )
  }

  putEntries(entries: readonly CacheEntryWrite[]): Promise<void> {
    return this.attempt(
      () => this.shared.putEntries(entries),
      async () => {},
    )
  }

  /**
   * Pings the shared store (not the fallback): readiness must say when Redis is away. While the breaker is
   * open it rejects at once, without asking Redis; the background probe finds out when Redis is back.
   */
  ping(): Promise<void> {
    return this.sharedOnly(() => this.shared.ping())
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopProbing()
    await Promise.all([this.shared.close(), this.local.close()])
  }

  private async attempt<T>(onShared: () => Promise<T>, onLocal: () => Promise<T>): Promise<T> {
    if (this.state.mode === 'local-fallback') {
      this.probeIfDue()
      return onLocal()
    }
    try {
      return await onShared()
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      this.open()
      return onLocal()
    }
  }

  private open(): void {
    // Operations that were already waiting on Redis fail one after the other: the first one opens.
    if (this.state.mode === 'local-fallback' || this.closed) return
    this.nextProbeAt = this.clock.monotonic() + this.openMs
    this.switchTo('local-fallback')
    // Operations also trigger probes; the timer is for a replica that gets none (no traffic, no /readyz).
    this.probeTimer = setInterval(() => this.probeIfDue(), this.probeIntervalMs)
    this.probeTimer.unref()
  }

  /** Sends one PING in the background once the open period (or the wait after a failed probe) is over. */
  private probeIfDue(): void {
    if (this.probing || this.closed || this.state.mode === 'shared') return
    if (this.clock.monotonic() < this.nextProbeAt) return
    this.probing = true
    void this.probe().then((answered) => {
      this.probing = false
      if (this.closed || this.state.mode === 'shared') return
      if (answered) {
        this.stopProbing()
        this.switchTo('shared')
      } else {
        this.nextProbeAt = this.clock.monotonic() + this.probeIntervalMs
      }
    })
  }

  private async probe(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.probeTimeoutMs)
      timer.unref()
    })
    try {
      return await Promise.race([this.shared.ping().then(() => true), deadline])
    } catch {
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  private stopProbing(): void {
    clearInterval(this.probeTimer)
    this.probeTimer = undefined
  }

  private switchTo(mode: StoreHealth['mode']): void {
    if (this.state.mode === mode) return
    this.state = { mode, since: this.clock.now() }
    this.options.onModeChange?.(this.state)
  }
}
