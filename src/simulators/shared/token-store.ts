// The tokens an app has been issued. Revoked tokens are forgotten (so they read as unknown, as a token the
// vendor never issued would); expired ones are remembered so that DingTalk can tell 42001 from 40014.
export type TokenState = 'valid' | 'expired' | 'unknown'

export interface IssuedToken {
  token: string
  /** On the store's clock, in ms. */
  expiresAt: number
}

// Enough for any test or benchmark; beyond it the oldest expired tokens are forgotten.
const REMEMBERED_LIMIT = 10_000

export class TokenStore {
  readonly #tokens = new Map<string, number>()
  readonly #mint: () => string
  readonly #now: () => number
  #latest: string | undefined

  constructor(mint: () => string, now: () => number) {
    this.#mint = mint
    this.#now = now
  }

  now(): number {
    return this.#now()
  }

  /** The most recently issued token while it is still valid. */
  latest(): IssuedToken | undefined {
    if (this.#latest === undefined) return undefined
    const expiresAt = this.#tokens.get(this.#latest)
    if (expiresAt === undefined || expiresAt <= this.#now()) return undefined
    return { token: this.#latest, expiresAt }
  }

  issue(ttlMs: number): IssuedToken {
    if (this.#tokens.size >= REMEMBERED_LIMIT) this.#forgetExpired()
    const token = this.#mint()
    const expiresAt = this.#now() + ttlMs
    this.#tokens.set(token, expiresAt)
    this.#latest = token
    return { token, expiresAt }
  }

  /** Gives a known token a new expiry. */
  extend(token: string, ttlMs: number): IssuedToken {
    const expiresAt = this.#now() + ttlMs
    this.#tokens.set(token, expiresAt)
    return { token, expiresAt }
  }

  state(token: string): TokenState {
    const expiresAt = this.#tokens.get(token)
    if (expiresAt === undefined) return 'unknown'
    return expiresAt > this.#now() ? 'valid' : 'expired'
  }

  /** Forgets every token; returns how many there were. */
  revokeAll(): number {
    const count = this.#tokens.size
    this.#tokens.clear()
    this.#latest = undefined
    return count
  }

  #forgetExpired(): void {
    const now = this.#now()
    for (const [token, expiresAt] of this.#tokens) if (expiresAt <= now) this.#tokens.delete(token)
  }
}
