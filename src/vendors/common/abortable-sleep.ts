import { setTimeout as wait } from 'node:timers/promises'

/** How the vendor path waits; tests pass one that moves a test clock instead of the real time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

/**
 * Waits `ms`, or rejects with the signal's own reason as soon as it aborts. timers/promises rejects with a
 * generic AbortError instead; the reason (a TimeoutError, the client gone, another block's fatal failure)
 * is what the source report classifies, so it is rethrown.
 */
export const sleep: Sleep = async (ms, signal) => {
  if (signal?.aborted) throw signal.reason
  if (ms <= 0) return
  try {
    await wait(ms, undefined, { signal })
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw error
  }
}
