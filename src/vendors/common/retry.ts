import { type Sleep, sleep } from './abortable-sleep.js'
import { VendorError } from './vendor-error.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

// Six attempts: at a 20% fault rate a call still fails all of them only once in 15,000.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8000 }

export interface RetryTiming {
  now: () => number
  sleep: Sleep
  /** In [0, 1): the jitter. */
  random: () => number
}

export const SYSTEM_TIMING: RetryTiming = { now: Date.now, sleep, random: Math.random }

/** Exponential backoff with full jitter, or at least a quarter of it past the pause the vendor asked for. */
export function retryDelayMs(
  policy: RetryPolicy,
  attemptNumber: number,
  error: VendorError,
  random: number,
): number {
  const backoff = random * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1))
  return error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, backoff / 4) : backoff
}

/**
 * Runs `attempt` until it succeeds, retrying retryable VendorErrors with `retryDelayMs`, as long as the next
 * attempt can still start before the deadline. The vendor calls retried here are reads (POSTs included),
 * so repeating them is safe.
 *
 * Hand-written rather than got's `retry`: an attempt here is more than one HTTP exchange (a shared token,
 * possibly fetched; a slot from the fleet's rate limiter; the vendor's verdict read from an HTTP 200 body),
 * and each attempt must count against the data-call budget. got's retry runs inside one request and sees
 * none of that.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: {
    policy: RetryPolicy
    signal: AbortSignal
    deadline: number
    onRetry?: (error: VendorError) => void
    timing?: RetryTiming
  },
): Promise<T> {
  const { policy, signal, deadline } = options
  const timing = options.timing ?? SYSTEM_TIMING
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber)
    } catch (error) {
      if (!(error instanceof VendorError) || !error.retryable || attemptNumber >= policy.maxAttempts)
        throw error
      const delay = retryDelayMs(policy, attemptNumber, error, timing.random())
      if (timing.now() + delay >= deadline) throw error
      options.onRetry?.(error)
      await timing.sleep(delay, signal)
    }
  }
}
