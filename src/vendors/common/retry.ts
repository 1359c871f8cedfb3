import { sleep } from './abortable-sleep.js'
import { VendorError } from './vendor-error.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

// Six attempts: at a 20% fault rate a call still fails all of them only once in 15,000.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8000 }

/**
 * Runs `attempt` until it succeeds, retrying retryable VendorErrors with exponential backoff and full jitter
 * (or the pause the vendor asked for), as long as the next attempt can still start before the deadline.
 * The vendor calls retried here are reads (POSTs included), so repeating them is safe.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: {
    policy: RetryPolicy
    signal: AbortSignal
    deadline: number
    onRetry?: (error: VendorError) => void
  },
): Promise<T> {
  const { policy, signal, deadline } = options
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber)
    } catch (error) {
      if (!(error instanceof VendorError) || !error.retryable || attemptNumber >= policy.maxAttempts)
        throw error
      const backoff =
        Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1))
      const delay = error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, backoff / 4) : backoff
      if (Date.now() + delay >= deadline) throw error
      options.onRetry?.(error)
      await sleep(delay, signal)
    }
  }
}
