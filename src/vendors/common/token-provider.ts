// Vendor tokens, shared by every replica through the store. One fetch per app serves the whole fleet:
// in-process callers share one promise, and across replicas a short store lock lets one replica fetch
// while the others wait for the value it stores.
import { randomUUID } from 'node:crypto'
import type { SourceMetrics } from '../../metrics/service-metrics.js'
import type { SharedStore } from '../../store/shared-store.js'
import { type Clock, systemClock } from '../../time/clock.js'
import { sleep } from './abortable-sleep.js'

export interface FetchedToken {
  token: string
  /** Lifetime the vendor gave, in seconds (Feishu `expire`, DingTalk `expires_in`). */
  expiresInSeconds: number
}

export interface TokenProviderOptions {
  store: SharedStore
  /** Per vendor + base URL + app, so that two tenants or two regions never share a token. */
  key: string
  fetchToken: (signal: AbortSignal, deadline: number) => Promise<FetchedToken>
  /** Taken off the vendor's lifetime, so a token is never used in its last minutes. At least 300 s in production. */
  safetyMarginSeconds?: number
  /** Refresh in the background when less than this is left, so callers never wait for a routine refresh. */
  refreshAheadSeconds?: number
  /** How long one replica may hold the fetch lock; a dead holder blocks the others no longer than this. */
  lockTtlMs?: number
  /** Where token lifetimes and waits are reckoned (wall time: the stored expiry is read by every replica). */
  clock?: Clock
  onRefreshError?: (error: unknown) => void
  /** Counts the tokens this replica fetched from the vendor. */
  metrics?: SourceMetrics
}

interface CachedToken {
  token: string
  /** Epoch ms after which the token is no longer used (vendor expiry minus the margin). */
  usableUntil: number
  /** Epoch ms after which a caller triggers a background refresh (still using this token meanwhile). */
  refreshAt: number
}

export class TokenProvider {
  private inflight: Promise<string> | undefined
  private readonly marginMs: number
  private readonly refreshAheadMs: number
  private readonly lockTtlMs: number
  private readonly clock: Clock

  constructor(private readonly options: TokenProviderOptions) {
    this.marginMs = (options.safetyMarginSeconds ?? 300) * 1000
    this.refreshAheadMs = (options.refreshAheadSeconds ?? 600) * 1000
    this.lockTtlMs = options.lockTtlMs ?? 5000
    this.clock = options.clock ?? systemClock
  }

  /** A usable token: the cached one, or a fresh one fetched (once for everybody) when there is none. */
  async get(signal: AbortSignal, deadline: number): Promise<string> {
    const cached = await this.read()
    if (cached) {
      if (this.clock.now() >= cached.refreshAt) this.refreshInBackground()
      return cached.token
    }
    return this.fetchOnce(signal, deadline)
  }

  /**
   * The vendor refused `token`: forget it, unless another caller has already replaced it (then the newer
   * token stays and is used for the retry).
   */
  async invalidate(token: string): Promise<void> {
    const raw = await this.options.store.get(this.options.key)
    if (raw && decode(raw)?.token === token) await this.options.store.deleteIfEquals(this.options.key, raw)
  }

  private refreshInBackground(): void {
    if (this.inflight) return
    const deadline = this.clock.now() + this.lockTtlMs * 4
    this.fetchOnce(AbortSignal.timeout(this.lockTtlMs * 4), deadline, { refresh: true }).catch((error) =>
      this.options.onRefreshError?.(error),
    )
  }

  private fetchOnce(signal: AbortSignal, deadline: number, mode = { refresh: false }): Promise<string> {
    this.inflight ??= this.fetchAcrossReplicas(signal, deadline, mode.refresh).finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async fetchAcrossReplicas(
    signal: AbortSignal,
    deadline: number,
    refresh: boolean,
  ): Promise<string> {
    const { store, key } = this.options
    const lockKey = `${key}:lock`
    const owner = randomUUID()
    if (await store.setIfAbsent(lockKey, owner, this.lockTtlMs)) {
      try {
        // Another replica may have stored a fresh token between our read and our lock.
        const current = await this.read()
        if (current && (!refresh || this.clock.now() < current.refreshAt)) return current.token
        return await this.fetchAndStore(signal, deadline)
      } finally {
        await store.deleteIfEquals(lockKey, owner).catch(() => {})
      }
    }
    // Another replica is fetching: wait for its token, but never past its lock's lifetime.
    const waitUntil = Math.min(this.clock.now() + this.lockTtlMs, deadline)
    while (this.clock.now() < waitUntil) {
      await sleep(50, signal)
      const current = await this.read()
      if (current && (!refresh || this.clock.now() < current.refreshAt)) return current.token
      if ((await store.get(lockKey)) === null) break // released without a token: it failed; try ourselves
    }
    return this.fetchAndStore(signal, deadline)
  }

  private async fetchAndStore(signal: AbortSignal, deadline: number): Promise<string> {
    const fetched = await this.options.fetchToken(signal, deadline)
    this.options.metrics?.tokenFetched()
    const lifetimeMs = fetched.expiresInSeconds * 1000
    // A vendor lifetime shorter than twice the margin (only seen in tests) keeps half of it usable.
    const usableMs = lifetimeMs > 2 * this.marginMs ? lifetimeMs - this.marginMs : lifetimeMs / 2
    const now = this.clock.now()
    const cached: CachedToken = {
      token: fetched.token,
      usableUntil: now + usableMs,
      refreshAt: now + usableMs - Math.min(this.refreshAheadMs, usableMs / 2),
    }
    await this.options.store.set(this.options.key, JSON.stringify(cached), usableMs)
    return fetched.token
  }

  private async read(): Promise<CachedToken | undefined> {
    const raw = await this.options.store.get(this.options.key)
    const cached = raw ? decode(raw) : undefined
    return cached && cached.usableUntil > this.clock.now() ? cached : undefined
  }
}

function decode(raw: string): CachedToken | undefined {
  try {
    const value = JSON.parse(raw) as Partial<CachedToken>
    const { token, usableUntil, refreshAt } = value
    return typeof token === 'string' && typeof usableUntil === 'number' && typeof refreshAt === 'number'
      ? { token, usableUntil, refreshAt }
      : undefined
  } catch {
    return undefined
  }
}
