// Memory of another process, from /proc/<pid>/status: VmHWM is the peak resident set since it started,
// exact however short the peak, so a fresh process per run gives that run's peak without sampling;
// VmRSS is what it holds now.
import { readFileSync } from 'node:fs'

/** Resident set size of `pid` now, in MiB. */
export function rssMiB(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024
}

/** Peak resident set size of `pid` so far, in MiB. */
export function peakRssMiB(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024
}

function statusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`)
  return Number(match[1])
}
