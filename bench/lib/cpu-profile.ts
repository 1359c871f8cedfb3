// The longest stretches of JavaScript in the services' --cpu-prof profiles (STARVED_CPU_PROFILE=1): what
// held the event loop while paced calls waited. A stretch is a run of consecutive samples that are not
// (idle); a gap between two samples much longer than the sampling interval means the process was not on
// a CPU at all (the sampler thread is starved with it), which is told apart.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { table } from './report.js'
import { fixed } from './stats.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const LONG_MS = 50
/** A gap this long between two samples: the process was off the CPU. */
const OFF_CPU_MS = 20

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/')
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`
}

export function longTasks(profileDir: string): string {
  let files: string[]
  try {
    files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))
  } catch {
    return 'No CPU profile was written.'
  }
  const selfMs = new Map<string, number>()
  const ownCodeMs = new Map<string, number>()
  const stretches: number[] = []
  const offCpu: number[] = []
  let longMs = 0
  for (const name of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, name), 'utf8')) as Profile
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const parent = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    let at = 0
    let stretch: { from: number; samples: { id: number; ms: number }[] } | undefined
    const close = (end: number) => {
      if (!stretch) return
      const wallMs = end - stretch.from
      stretches.push(wallMs)
      if (wallMs >= LONG_MS) {
        longMs += wallMs
        for (const sample of stretch.samples) {
          const node = byId.get(sample.id) as ProfileNode
          const self = frameName(node)
          selfMs.set(self, (selfMs.get(self) ?? 0) + sample.ms)
          // The deepest frame of the service's own code (dist/) on the stack.
          for (let id: number | undefined = sample.id; id !== undefined; id = parent.get(id)) {
            const frame = byId.get(id) as ProfileNode
            if (frame.callFrame.url.includes('/dist/')) {
              const own = frameName(frame)
              ownCodeMs.set(own, (ownCodeMs.get(own) ?? 0) + sample.ms)
              break
            }
          }
        }
      }
      stretch = undefined
    }
    profile.samples.forEach((id, index) => {
      const deltaMs = (profile.timeDeltas[index] ?? 0) / 1000
      at += deltaMs
      if (deltaMs >= OFF_CPU_MS) offCpu.push(deltaMs)
      const idle = byId.get(id)?.callFrame.functionName === '(idle)'
      if (idle) close(at - deltaMs)
      else {
        stretch ??= { from: at - Math.min(deltaMs, 1), samples: [] }
        stretch.samples.push({ id, ms: deltaMs })
      }
    })
    close(at)
  }
  const top = (sums: Map<string, number>) =>
    [...sums.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([frame, ms]) => [`\`${frame}\``, fixed(ms, 0), fixed((ms / longMs) * 100, 1)])
  stretches.sort((a, b) => b - a)
  offCpu.sort((a, b) => b - a)
  return [
    `CPU profiles of the ${files.length} service processes (--cpu-prof, 1 ms sampling): ${stretches.filter((ms) => ms >= 20).length} stretches of JavaScript without a return to the event loop of ≥ 20 ms, ${stretches.filter((ms) => ms >= LONG_MS).length} of ≥ ${LONG_MS} ms, ${stretches.filter((ms) => ms >= 100).length} of ≥ 100 ms; the longest ${stretches
      .slice(0, 5)
      .map((ms) => fixed(ms, 0))
      .join(
        ', ',
      )} ms (wall time, off-CPU gaps inside included). Gaps of ≥ ${OFF_CPU_MS} ms between samples (the process off the CPU): ${offCpu.length}, the longest ${offCpu
      .slice(0, 5)
      .map((ms) => fixed(ms, 0))
      .join(', ')} ms.`,
    '',
    `Within the stretches of ≥ ${LONG_MS} ms (${fixed(longMs, 0)} ms in all), by the service's deepest own frame on the stack:`,
    '',
    table(['frame (dist/)', 'ms', '%'], top(ownCodeMs)),
    '',
    'and by the function on top of the stack (self time):',
    '',
    table(['function', 'ms', '%'], top(selfMs)),
  ].join('\n')
}
