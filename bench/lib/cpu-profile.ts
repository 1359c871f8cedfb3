// What held the services' event loops while paced calls waited, from their --cpu-prof profiles
// (STARVED_CPU_PROFILE=1), within the measured queries only. A stretch is a run of consecutive samples
// that are not (idle): JavaScript that never went back to the event loop for new I/O or timers (a promise
// chain drained in one go counts as one). Its wall time includes the time the process was off a CPU
// meanwhile, which shows as a gap between two samples much longer than the 1 ms interval.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { table } from './report.js'
import { fixed } from './stats.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  /** µs on the monotonic clock (CLOCK_MONOTONIC), as process.hrtime. */
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** A measured query, µs on the monotonic clock (process.hrtime.bigint() / 1000). */
export interface MonotonicWindow {
  fromUs: number
  toUs: number
}

const LONG_MS = 50
/** A gap this long between two samples: the process was off the CPU. */
const OFF_CPU_MS = 20

/** The kind of work a sample belongs to: the first of these found walking down from the top of its stack. */
const KINDS: [string, (url: string, name: string) => boolean][] = [
  [
    'JSON.parse of vendor answers (vendor-http parseJson)',
    (url, name) => name === 'parseJson' && url.includes('/vendor-http'),
  ],
  ['credentials scrubbed from answers (withoutCredentials)', (_url, name) => name === 'withoutCredentials'],
  ['normalization (vendors/*/normalize)', (url) => /\/vendors\/\w+\/normalize/.test(url)],
  ['vendor verdicts and adapters (vendors/)', (url) => url.includes('/dist/vendors/')],
  [
    'the answer written to the client (domain/formats/, routes/attendance/stream-answer)',
    (url) => url.includes('/dist/domain/formats') || url.includes('/routes/attendance/stream-answer'),
  ],
  ['got (response and body handling)', (url) => url.includes('/node_modules/got/')],
  ['ioredis', (url) => url.includes('/node_modules/ioredis/')],
  ['logging (pino)', (url) => url.includes('/node_modules/pino') || url.includes('/dist/platform/logging/')],
  ['query fan-out and merging (domain/attendance/)', (url) => url.includes('/dist/domain/attendance/')],
]

export function longTasks(profileDir: string, windows: readonly MonotonicWindow[]): string {
  let files: string[]
  try {
    files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))
  } catch {
    return 'No CPU profile was written.'
  }
  const inQuery = (us: number) => windows.some((window) => us >= window.fromUs && us <= window.toUs)
  const byKind = new Map<string, number>()
  const stretches: number[] = []
  const offCpu: number[] = []
  let longMs = 0
  for (const name of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, name), 'utf8')) as Profile
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const parent = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    const kindOf = (id: number): string => {
      const top = byId.get(id)?.callFrame.functionName ?? ''
      if (top === '(garbage collector)') return 'garbage collection'
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = (byId.get(at) as ProfileNode).callFrame
        const kind = KINDS.find(([, test]) => test(frame.url, frame.functionName))
        if (kind) return kind[0]
      }
      return 'other (Node internals, Fastify, timers, …)'
    }
    let at = profile.startTime
    let stretch: { from: number; samples: { id: number; ms: number }[] } | undefined
    const close = (end: number) => {
      if (!stretch) return
      const wallMs = (end - stretch.from) / 1000
      stretches.push(wallMs)
      if (wallMs >= LONG_MS) {
        longMs += wallMs
        for (const sample of stretch.samples) {
          const kind = kindOf(sample.id)
          byKind.set(kind, (byKind.get(kind) ?? 0) + sample.ms)
        }
      }
      stretch = undefined
    }
    profile.samples.forEach((id, index) => {
      const deltaUs = profile.timeDeltas[index] ?? 0
      at += deltaUs
      if (!inQuery(at)) {
        close(at - deltaUs)
        return
      }
      if (deltaUs >= OFF_CPU_MS * 1000) offCpu.push(deltaUs / 1000)
      if (byId.get(id)?.callFrame.functionName === '(idle)') close(at - deltaUs)
      else {
        stretch ??= { from: at - Math.min(deltaUs, 1000), samples: [] }
        stretch.samples.push({ id, ms: deltaUs / 1000 })
      }
    })
    close(at)
  }
  stretches.sort((a, b) => b - a)
  offCpu.sort((a, b) => b - a)
  const sampledMs = [...byKind.values()].reduce((sum, ms) => sum + ms, 0)
  const count = (ms: number) => stretches.filter((wall) => wall >= ms).length
  return [
    `CPU profiles of the ${files.length} service processes (--cpu-prof, 1 ms sampling), within the queries: ${count(20)} stretches of JavaScript without a return to the event loop of ≥ 20 ms, ${count(LONG_MS)} of ≥ ${LONG_MS} ms, ${count(100)} of ≥ 100 ms; the longest ${stretches
      .slice(0, 5)
      .map((ms) => fixed(ms, 0))
      .join(
        ', ',
      )} ms (wall time, time off the CPU inside included). Gaps of ≥ ${OFF_CPU_MS} ms between two samples (the process off the CPU): ${offCpu.length}, the longest ${offCpu
      .slice(0, 5)
      .map((ms) => fixed(ms, 0))
      .join(', ')} ms.`,
    '',
    `What the stretches of ≥ ${LONG_MS} ms (${fixed(longMs, 0)} ms of wall time in all) were doing, by sampled time:`,
    '',
    table(
      ['work', 'ms', '%'],
      [...byKind.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([kind, ms]) => [kind, fixed(ms, 0), fixed((ms / sampledMs) * 100, 1)]),
    ),
  ].join('\n')
}
