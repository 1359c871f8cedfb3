// Faults exercise the service's timeouts, retries and pacing. They are drawn from a seeded generator, not
// from Math.random, so that a test with faults sees the same faults in every run: each call gets a
// generator of its own, seeded by (faultSeed, the call, how many times the same call came before). The
// order in which concurrent calls arrive therefore changes nothing, and a retry draws afresh.
import type { Latency } from './options.js'
import { hash32, type Random, randomFor, type Seed } from './prng.js'

// Each draw takes one value whether or not its fault is configured, so that turning one fault on does not
// move the others to other calls.
export function drawLatency(latency: Latency, random: Random): number {
  const point = random()
  if (typeof latency === 'number') return latency
  return latency.min + point * (latency.max - latency.min)
}

export function happens(rate: number, random: Random): boolean {
  return random() < rate
}

/** What makes two calls the same call: its kind, path and body (never the query string: it holds tokens). */
export interface CallIdentity {
  kind: string
  path: string
  body: unknown
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return ''
  if (typeof body === 'string') return body
  if (Buffer.isBuffer(body)) return body.toString('utf8')
  return JSON.stringify(body)
}

/** Hands out one generator per call; the same seed and the same calls give the same draws. */
export class FaultDraws {
  readonly #seed: Seed
  /** How many times each call (by the hash of its identity) has been seen. */
  readonly #seen = new Map<number, number>()

  constructor(seed: Seed) {
    this.#seed = seed
  }

  next(call: CallIdentity): Random {
    const identity = `${call.kind}\u001f${call.path}\u001f${bodyText(call.body)}`
    const key = hash32(identity)
    const occurrence = this.#seen.get(key) ?? 0
    this.#seen.set(key, occurrence + 1)
    return randomFor(this.#seed, identity, occurrence)
  }
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
