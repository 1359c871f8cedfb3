import { SlidingWindow } from './sliding-window.js'

export type Admission = { allowed: true } | { allowed: false; retryAfterMs: number }

export interface RateLimitSettings {
  /** Calls allowed in any sliding second. */
  perSecond: number
  /**
   * Whether a refused call takes a place in the window. The vendors do not say; counting it is the stricter
   * choice (a client that keeps hammering stays throttled) and is the default.
   */
  countRefused: boolean
}

/** A per-app limit of one API over an exact sliding one-second window (the runtime keeps one per API). */
export class RateLimiter {
  readonly #window = new SlidingWindow(1000)
  readonly #settings: () => RateLimitSettings

  constructor(settings: () => RateLimitSettings) {
    this.#settings = settings
  }

  /** Decides on a call that arrived at `now` (monotonic ms) and records it. */
  admit(now: number): Admission {
    const { perSecond, countRefused } = this.#settings()
    if (this.#window.count(now) < perSecond) {
      this.#window.add(now)
      return { allowed: true }
    }
    if (countRefused) this.#window.add(now)
    // The oldest call leaving the window frees the next place.
    const oldest = this.#window.oldest(now) ?? now
    return { allowed: false, retryAfterMs: Math.max(0, oldest + this.#window.windowMs - now) }
  }
}
