// The service's own account of its vendor calls, from its log ("vendor call" lines: the time the answer
// was logged and how long the call took, so when it was sent). On a loaded machine this tells the
// service's pacing apart from what the simulator saw: a call that waits in a starved process's queues
// reaches the simulator late, bunched with the next ones.
import { readFileSync } from 'node:fs'

export interface VendorCallStats {
  /** Most calls sent in any sliding 1000 ms, by the services' own clocks, all logs together. */
  sentPeakPerSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

interface CallLine {
  msg?: string
  source?: string
  time?: number
  durationMs?: number
}

export function vendorCallStats(logPaths: readonly string[], source: string, since: number): VendorCallStats {
  const sent: number[] = []
  const durations: number[] = []
  for (const path of logPaths) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.includes('"vendor call')) continue
      const entry = JSON.parse(line) as CallLine
      if (entry.source !== source || entry.time === undefined || entry.durationMs === undefined) continue
      const at = entry.time - entry.durationMs
      if (at < since) continue
      sent.push(at)
      durations.push(entry.durationMs)
    }
  }
  sent.sort((a, b) => a - b)
  durations.sort((a, b) => a - b)
  let peak = 0
  for (let first = 0, last = 0; last < sent.length; last++) {
    while ((sent[first] as number) <= (sent[last] as number) - 1000) first++
    peak = Math.max(peak, last - first + 1)
  }
  const at = (share: number) =>
    durations[Math.min(durations.length - 1, Math.floor(durations.length * share))] ?? 0
  return { sentPeakPerSecond: peak, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: durations.at(-1) ?? 0 }
}
