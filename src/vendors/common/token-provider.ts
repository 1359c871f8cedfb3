// Vendor tokens, shared by every replica through the store. One fetch per app serves the whole fleet:
// in-process callers share one promise, and across replicas a store lock lets one replica fetch while the
// others wait for the value it stores. The shared fetch has a lifetime of its own: each caller only races
// its own signal and deadline against it, so one caller going away never fails the others.
import { randomUUID } from 'node:crypto'
import type { SourceMetrics } from '../../platform/metrics/service-metrics.js'
import { type Clock, systemClock } from '../../platform/time/clock.js'
import type { SharedStore } from '../../store/shared-store.js'
import { sleep } from './abortable-sleep.js'
import { VendorError } from './vendor-error.js'

export interface FetchedToken {
  token: string
  /** Lifetime the vendor gave, in seconds (Feishu `expire`, DingTalk `expires_in`). */
  expiresInSeconds: number
}

export interface TokenProviderOptions {
  store: SharedStore
  /** Per vendor + base URL + app, so that two tenants or two regions never share a token. */
  key: string
  /** Called with the shared fetch's own signal and deadline, never with a caller's. */
  fetchToken: (signal: AbortSignal, deadline: number) => Promise<FetchedToken>
  /** Taken off the vendor's lifetime, so a token is never used in its last minutes. At least 300 s in production. */
  safetyMarginSeconds?: number
  /** Refresh in the background when less than this is left, so callers never wait for a routine refresh. */
  refreshAheadSeconds?: number
  /**
   * Lifetime of the fetch lock, renewed every third of it while the holder fetches: a holder that died
   * blocks the others no longer than this; a slow one keeps its lock.
   */
  lockTtlMs?: number
  /** How long one shared fetch may take, waiting for another replica's fetch included (default 15 s). */
  fetchTimeoutMs?: number
  /**
   * How long a token read from the store is used without reading it again (default 1 s): a vendor call
   * then costs no store round trip for its token. A token another replica replaced is used here for at
   * most this long; if the vendor refuses it meanwhile, the call is retried with the new one.
   */
  localCopyMs?: number
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

/** How often a replica waiting for another one's fetch looks for the token. */
const POLL_MS = 50
// setTimeout fires at once for longer delays; a deadline further away than this needs no timer.
const LONGEST_TIMER_MS = 2 ** 31 - 1

export class TokenProvider {
  private inflight: Promise<string> | undefined
  /** The token last read from or written to the store, and when (monotonic ms). */
  private localCopy: { cached: CachedToken; at: number } | undefined
  /**
   * The token this provider last invalidated: a read racing the invalidation may still find it in the
   * store, and it must not come back through the local copy for the retry that replaces it.
   */
  private rejected: string | undefined
  private readonly localCopyMs: number
  private readonly marginMs: number
  private readonly refreshAheadMs: number
  private readonly lockTtlMs: number
  private readonly fetchTimeoutMs: number
  private readonly clock: Clock
  private readonly lockKey: string

  constructor(private readonly options: TokenProviderOptions) {
    this.marginMs = (options.safetyMarginSeconds ?? 300) * 1000
    this.refreshAheadMs = (options.refreshAheadSeconds ?? 600) * 1000
    this.lockTtlMs = options.lockTtlMs ?? 5000
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 15_000
    this.clock = options.clock ?? systemClock
    this.localCopyMs = options.localCopyMs ?? 1000
    this.lockKey = `${options.key}:lock`
  }

  /**
   * A usable token: the cached one, or a fresh one fetched (once for everybody) when there is none. Rejects
   * with the signal's reason when it aborts, or TIMEOUT at the deadline, whatever the shared fetch does.
   */
  async get(signal: AbortSignal, deadline: number): Promise<string> {
    const cached = this.recentLocalCopy() ?? (await this.read())
    if (cached) {
      if (this.clock.now() >= cached.refreshAt) this.refreshInBackground()
      return cached.token
    }
    return this.raceCaller(this.shared(false), signal, deadline)
  }

  /**
   * The vendor refused `token`: forget it, unless another caller has already replaced it (then the newer
   * token stays and is used for the retry).
   */
  async invalidate(token: string): Promise<void> {
    this.rejected = token
    if (this.localCopy?.cached.token === token) this.localCopy = undefined
    const raw = await this.options.store.get(this.options.key)
    if (raw && decode(raw)?.token === token) await this.options.store.deleteIfEquals(this.options.key, raw)
  }

  private refreshInBackground(): void {
    if (this.inflight) return
    this.shared(true).catch((error) => this.options.onRefreshError?.(error))
  }

  /** The one fetch of this process, started by whoever needs it first and awaited by all. */
  private shared(refresh: boolean): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.fetchWithOwnLifetime(refresh).finally(() => {
        this.inflight = undefined
      })
      // Every caller may have gone before it ends; its failure then concerns nobody.
      this.inflight.catch(() => {})
    }
    return this.inflight
  }

  private raceCaller(shared: Promise<string>, signal: AbortSignal, deadline: number): Promise<string> {
    if (signal.aborted) return Promise.reject(signal.reason)
    const remainingMs = deadline - this.clock.now()
    if (remainingMs <= 0) return Promise.reject(deadlinePassed())
    return new Promise((resolve, reject) => {
      const settle = (finish: () => void) => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        finish()
      }
      const onAbort = () => settle(() => reject(signal.reason))
      const timer =
        remainingMs <= LONGEST_TIMER_MS
          ? setTimeout(() => settle(() => reject(deadlinePassed())), remainingMs)
          : undefined
      signal.addEventListener('abort', onAbort, { once: true })
      shared.then(
        (token) => settle(() => resolve(token)),
        (error: unknown) => settle(() => reject(error)),
      )
    })
  }

  private async fetchWithOwnLifetime(refresh: boolean): Promise<string> {
    const signal = AbortSignal.timeout(this.fetchTimeoutMs)
    const deadline = this.clock.now() + this.fetchTimeoutMs
    try {
      return await this.fetchAcrossReplicas(signal, deadline, refresh)
    } catch (error) {
      if (signal.aborted && error === signal.reason) throw this.fetchTimedOut()
      throw error
    }
  }

  private async fetchAcrossReplicas(
    signal: AbortSignal,
    deadline: number,
    refresh: boolean,
  ): Promise<string> {
    const owner = randomUUID()
    for (;;) {
      if (await this.options.store.setIfAbsent(this.lockKey, owner, this.lockTtlMs)) {
        return this.fetchHoldingLock(owner, signal, deadline, refresh)
      }
      const token = await this.waitForLockHolder(signal, deadline, refresh)
      if (token !== undefined) return token
    }
  }

  private async fetchHoldingLock(
    owner: string,
    signal: AbortSignal,
    deadline: number,
    refresh: boolean,
  ): Promise<string> {
    const { store } = this.options
    // Renewed while the vendor answers, so that a slow token call never lets the lock lapse and every
    // waiting replica fetch a token of its own.
    const keepAlive = setInterval(
      () => {
        store
          .extendIfEquals(this.lockKey, owner, this.lockTtlMs)
          .then((held) => {
            if (!held) clearInterval(keepAlive)
          })
          .catch(() => {})
      },
      Math.max(1, Math.floor(this.lockTtlMs / 3)),
    )
    keepAlive.unref()
    try {
      // Another replica may have stored a fresh token between our read and our lock.
      const current = await this.read()
      if (current && this.freshEnough(current, refresh)) return current.token
      return await this.fetchAndStore(signal, deadline)
    } finally {
      clearInterval(keepAlive)
      await store.deleteIfEquals(this.lockKey, owner).catch(() => {})
    }
  }

  /**
   * Another replica holds the lock: wait for the token it stores. Undefined when the lock went away without
   * a token (its fetch failed, or it died and the lock lapsed): then this replica tries to take it.
   */
  private async waitForLockHolder(
    signal: AbortSignal,
    deadline: number,
    refresh: boolean,
  ): Promise<string | undefined> {
    while (this.clock.now() < deadline) {
      await sleep(POLL_MS, signal)
      const current = await this.read()
      if (current && this.freshEnough(current, refresh)) return current.token
      if ((await this.options.store.get(this.lockKey)) === null) return undefined
    }
    throw this.fetchTimedOut()
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
    this.localCopy = { cached, at: this.clock.monotonic() }
    return fetched.token
  }

  /** A refresh wants a token that is not itself due for refresh; anyone else takes any usable one. */
  private freshEnough(cached: CachedToken, refresh: boolean): boolean {
    return !refresh || this.clock.now() < cached.refreshAt
  }

  /** The store's token, which also becomes the local copy. */
  private async read(): Promise<CachedToken | undefined> {
    const raw = await this.options.store.get(this.options.key)
    const cached = raw ? decode(raw) : undefined
    if (!cached || cached.usableUntil <= this.clock.now()) return undefined
    if (cached.token !== this.rejected) this.localCopy = { cached, at: this.clock.monotonic() }
    return cached
  }

  private recentLocalCopy(): CachedToken | undefined {
    const copy = this.localCopy
    if (!copy || this.clock.monotonic() - copy.at >= this.localCopyMs) return undefined
    if (copy.cached.usableUntil <= this.clock.now() || copy.cached.token === this.rejected) return undefined
    return copy.cached
  }

  private fetchTimedOut(): VendorError {
    return new VendorError('TIMEOUT', `the token fetch did not finish within ${this.fetchTimeoutMs} ms`)
  }
}

function deadlinePassed(): VendorError {
  return new VendorError('TIMEOUT', 'the query deadline passed before a token was available')
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
