// Faults are for exercising the service's timeouts, retries and pacing. They are random on purpose (unlike
// the data), so they use Math.random.
import type { Latency } from './options.js'

export function drawLatency(latency: Latency): number {
  if (typeof latency === 'number') return latency
  return latency.min + Math.random() * (latency.max - latency.min)
}

export function happens(rate: number): boolean {
  return rate > 0 && Math.random() < rate
}

/** Waits `ms`, or less when the signal aborts (the simulator closes, or the client went away). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
