// What the trace preload (trace-preload.mjs) wrote, joined per call: when the service's limiter asked Redis
// to admit the call and was answered, when the HTTP client built the request, when its bytes went to the socket, and
// when the simulator's JavaScript saw it (the tick it stamps it in). With the event-loop stalls of every
// process in 100 ms slices. This tells a service that sends in bursts (socket writes over the limit in
// some second) from a simulator that stamps calls late and together (writes spread, arrivals bunched).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const TRACE_PRELOAD = new URL('./trace-preload.mjs', import.meta.url).pathname

interface Send {
  id: string
  path: string
  created: number
  t: number
  ticket?: string
  /** The socket was still connecting: the request waited for the connection. */
  fresh?: boolean
}

interface Arrival {
  id: string | null
  path: string
  t: number
}

interface Confirm {
  member: string
  src: string
  sent: number
}

export interface LoopSlice {
  from: number
  to: number
  /** The longest stall in the slice. */
  maxMs: number
  /**
   * CPU the process used in the slice (all threads), the time its main thread waited runnable for a CPU,
   * and the hypervisor's steal from the machine.
   */
  cpuMs: number
  waitMs: number
  stealMs: number
}

type Entry =
  | ({ k: 'send' } & Send)
  | ({ k: 'arrive' } & Arrival)
  | { k: 'admit'; src: string; member: string; sent: number; replied: number; granted: boolean }
  | ({ k: 'confirm' } & Confirm)
  | ({ k: 'loop' } & LoopSlice)

interface ProcessTrace {
  role: string
  pid: number
  entries: Entry[]
}

/** The traces of `dir`, every entry whose time lies in [from, to]. */
function readTraces(dir: string, from: number, to: number): ProcessTrace[] {
  const traces: ProcessTrace[] = []
  for (const name of readdirSync(dir)) {
    const match = /^(\w+)-(\d+)\.jsonl$/.exec(name)
    if (!match) continue
    const entries: Entry[] = []
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue
      const entry = JSON.parse(line) as Entry
      const at = entry.k === 'loop' ? entry.to : 't' in entry ? entry.t : entry.sent
      if (at >= from && (entry.k === 'loop' ? entry.from <= to : at <= to)) entries.push(entry)
    }
    traces.push({ role: match[1] as string, pid: Number(match[2]), entries })
  }
  return traces
}

/** The most times in any sliding `windowMs` (an event at t counts while now − t < windowMs), and where. */
export function slidingPeak(times: readonly number[], windowMs = 1000): { count: number; from: number } {
  const sorted = [...times].sort((a, b) => a - b)
  let best = { count: 0, from: Number.NaN }
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while ((sorted[first] as number) <= (sorted[last] as number) - windowMs) first++
    if (last - first + 1 > best.count) best = { count: last - first + 1, from: sorted[first] as number }
  }
  return best
}

export interface Spread {
  p50: number
  p99: number
  max: number
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (share: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN }
}

export interface VendorPacing {
  calls: number
  /** Calls joined to their arrival at the simulator. */
  joined: number
  /**
   * Busiest sliding second of the limiter's admissions (the Redis answers that became permits), all
   * service processes: the limiter keeps it at the configured rate.
   */
  admittedPeak: number
  /** Busiest sliding second of socket writes, all service processes. */
  writePeak: number
  /** Busiest sliding second of arrivals as the simulator's JavaScript saw them. */
  arrivalPeak: number
  /** The calls of the busiest arrival second: how far apart they were written, and their latest lag. */
  peakWindowWriteSpanMs: number
  peakWindowMaxLagMs: number
  /** Simulator arrival − socket write. */
  lagMs: Spread
  /** Admission asked → socket write, in the service: past the 30 ms safety window the call is paced again. */
  admittedToWriteMs: Spread
  /** Calls written more than 30 ms after their admission was asked for; of them, on a socket still connecting. */
  writtenLate: number
  lateOnFreshSocket: number
  /** …of them in the query's first 2 s. */
  lateInFirstTwoSeconds: number
  /** When the last call was written, s after the query was sent. */
  lastWriteS: number
  /** HTTP client built the request → socket write. */
  createdToWriteMs: Spread
}

export interface TraceSummary {
  dingtalk: VendorPacing
  feishu: VendorPacing
  /** Longest event-loop stall in [from, to], ms, by process kind. */
  loopMaxMs: { service: number; dingtalkSimulator: number; feishuSimulator: number }
  /** The DingTalk simulator's slice with the longest stall: did it spend that time on a CPU? */
  dingtalkSimulatorWorst: LoopSlice | undefined
}

const VENDOR_OF = (path: string): 'dingtalk' | 'feishu' | undefined =>
  path.startsWith('/gettoken') || path.startsWith('/attendance/list')
    ? 'dingtalk'
    : path.startsWith('/open-apis/')
      ? 'feishu'
      : undefined

export function summarizeTrace(
  dir: string,
  window: { from: number; to: number },
  simulatorPids: { dingtalk: number; feishu: number },
): TraceSummary {
  const traces = readTraces(dir, window.from, window.to)
  const sends = traces.flatMap((trace) =>
    trace.entries.filter((entry): entry is { k: 'send' } & Send => entry.k === 'send'),
  )
  const arrivals = traces.flatMap((trace) =>
    trace.entries.filter((entry): entry is { k: 'arrive' } & Arrival => entry.k === 'arrive'),
  )
  // The admissions that became permits (the window admitted the call), by their member.
  const admits = new Map<string, { src: string; sent: number; replied: number }>()
  for (const trace of traces)
    for (const entry of trace.entries)
      if (entry.k === 'admit' && entry.granted) admits.set(entry.member, entry)
  const arrivalOf = new Map(arrivals.filter((a) => a.id !== null).map((a) => [a.id as string, a]))

  const pacing = (vendor: 'dingtalk' | 'feishu'): VendorPacing => {
    const mine = sends.filter((send) => VENDOR_OF(send.path) === vendor)
    const came = arrivals.filter((arrival) => VENDOR_OF(arrival.path) === vendor)
    const lags: number[] = []
    const admittedToWrite: number[] = []
    let lateOnFreshSocket = 0
    let lateInFirstTwoSeconds = 0
    for (const send of mine) {
      const arrival = arrivalOf.get(send.id)
      if (arrival) lags.push(arrival.t - send.t)
      // From when the admission was asked for: the age the limiter's stale check measures.
      const admit = send.ticket ? admits.get(send.ticket) : undefined
      if (!admit) continue
      admittedToWrite.push(send.t - admit.sent)
      if (send.t - admit.sent <= 30) continue
      if (send.fresh) lateOnFreshSocket++
      if (send.t < window.from + 2000) lateInFirstTwoSeconds++
    }
    const marks = [...admits.values()].filter((admit) => admit.src === vendor)
    const peak = slidingPeak(came.map((arrival) => arrival.t))
    const inPeak = came.filter((arrival) => arrival.t >= peak.from && arrival.t < peak.from + 1000)
    const sendOf = new Map(mine.map((send) => [send.id, send]))
    const peakSends = inPeak.flatMap((arrival) => {
      const send = arrival.id ? sendOf.get(arrival.id) : undefined
      return send ? [{ written: send.t, lag: arrival.t - send.t }] : []
    })
    const written = peakSends.map((send) => send.written)
    return {
      calls: mine.length,
      joined: lags.length,
      admittedPeak: slidingPeak(marks.map((admit) => admit.replied)).count,
      writePeak: slidingPeak(mine.map((send) => send.t)).count,
      arrivalPeak: peak.count,
      peakWindowWriteSpanMs: written.length > 0 ? Math.max(...written) - Math.min(...written) : Number.NaN,
      peakWindowMaxLagMs: Math.max(...peakSends.map((send) => send.lag)),
      lagMs: spread(lags),
      admittedToWriteMs: spread(admittedToWrite),
      writtenLate: admittedToWrite.filter((ms) => ms > 30).length,
      lateOnFreshSocket,
      lateInFirstTwoSeconds,
      lastWriteS: (Math.max(...mine.map((send) => send.t)) - window.from) / 1000,
      createdToWriteMs: spread(mine.map((send) => send.t - send.created)),
    }
  }

  const loopMax = (pick: (trace: ProcessTrace) => boolean) =>
    Math.max(
      0,
      ...traces
        .filter(pick)
        .flatMap((trace) => trace.entries.flatMap((entry) => (entry.k === 'loop' ? [entry.maxMs] : []))),
    )
  const dingtalkSlices = traces
    .filter((trace) => trace.pid === simulatorPids.dingtalk)
    .flatMap((trace) => trace.entries.flatMap((entry) => (entry.k === 'loop' ? [entry] : [])))
  return {
    dingtalkSimulatorWorst: dingtalkSlices.sort((a, b) => b.maxMs - a.maxMs)[0],
    dingtalk: pacing('dingtalk'),
    feishu: pacing('feishu'),
    loopMaxMs: {
      service: loopMax((trace) => trace.role === 'service'),
      dingtalkSimulator: loopMax((trace) => trace.pid === simulatorPids.dingtalk),
      feishuSimulator: loopMax((trace) => trace.pid === simulatorPids.feishu),
    },
  }
}
