import { MemoryStore } from './memory-store.js'
import {
  type SharedStore,
  type SlotReservation,
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
}

/**
 * The shared store with a local fallback: when Redis does not answer, every operation is served from
 * process memory (rate limits at 1/expectedReplicas of the rate) so queries keep answering; the next
 * operation that Redis answers switches back. Tokens fetched meanwhile live only in this process.
 */
export class ResilientStore implements SharedStore {
  readonly kind: 'redis' | 'memory'
  private readonly local = new MemoryStore()
  private state: StoreHealth = { mode: 'shared', since: Date.now() }

  constructor(
    private readonly shared: SharedStore,
    private readonly options: ResilientStoreOptions,
  ) {
    this.kind = shared.kind
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

  reserveSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<SlotReservation> {
    return this.attempt(
      () => this.shared.reserveSlot(key, intervalMs, maxWaitMs),
      () => this.local.reserveSlot(key, intervalMs * this.options.expectedReplicas, maxWaitMs),
    )
  }

  admitToWindow(key: string, limit: number, windowMs: number): Promise<WindowAdmission> {
    return this.attempt(
      () => this.shared.admitToWindow(key, limit, windowMs),
      () =>
        this.local.admitToWindow(
          key,
          Math.max(1, Math.floor(limit / this.options.expectedReplicas)),
          windowMs,
        ),
    )
  }

  confirmSend(key: string, ticket: string): Promise<void> {
    return this.attempt(
      () => this.shared.confirmSend(key, ticket),
      () => this.local.confirmSend(key, ticket),
    )
  }

  /** Pings the shared store (not the fallback): readiness must say when Redis is away. */
  async ping(): Promise<void> {
    await this.attempt(
      () => this.shared.ping(),
      () => Promise.reject(new StoreUnavailableError('shared store is not answering')),
    )
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()])
  }

  private async attempt<T>(onShared: () => Promise<T>, onLocal: () => Promise<T>): Promise<T> {
    try {
      const value = await onShared()
      this.switchTo('shared')
      return value
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      this.switchTo('local-fallback')
      return onLocal()
    }
  }

  private switchTo(mode: StoreHealth['mode']): void {
    if (this.state.mode === mode) return
    this.state = { mode, since: Date.now() }
    this.options.onModeChange?.(this.state)
  }
}
