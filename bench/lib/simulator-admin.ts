// The simulators' admin endpoints (never counted, limited or faulted): settings, counters, reset.
import type { Counters, Latency } from '../../src/simulators/index.js'

export interface SimulatorSettings {
  rateLimitPerSecond?: number
  latencyMs?: Latency
}

export async function configure(url: string, settings: SimulatorSettings): Promise<void> {
  const response = await fetch(`${url}/__sim/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  })
  if (!response.ok) throw new Error(`configuring ${url} failed: ${await response.text()}`)
}

export async function counters(url: string): Promise<Counters> {
  return (await (await fetch(`${url}/__sim/counters`)).json()) as Counters
}

export async function resetCounters(url: string): Promise<void> {
  await fetch(`${url}/__sim/counters/reset`, { method: 'POST' })
}

/** Limits no benchmark load reaches, and no latency: the simulators out of the way. */
export const OUT_OF_THE_WAY: SimulatorSettings = { rateLimitPerSecond: 1_000_000, latencyMs: 0 }
