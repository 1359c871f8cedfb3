// The simulators in a process of their own, driven over their admin endpoints. Timing tests need this:
// in the test's own process, the replicas' work delays the simulators' arrival timestamps, and the peak
// counter would measure the test's event loop rather than the service's pacing.
//
// They stand for the vendors' servers, which no load on this machine slows down: the process runs in a
// session of its own whose autogroup gets nice -10 (as bench/lib/processes.ts shields them), so that two
// CPU-bound neighbours delay the service, whose pacing is under test, and not the clock that judges it.
// Without root the nice is refused and they run as any process would.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import type { Test } from 'tap'
import type { Counters } from '../../src/simulators/index.js'

export interface SimulatorProcess {
  feishuUrl: string
  dingtalkUrl: string
  counters(url: string): Promise<Counters>
  configure(url: string, patch: Record<string, unknown>): Promise<void>
}

const SHIELDED_NICE = -10

export async function startSimulatorProcess(t: Test): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulators/cli.ts'], {
    cwd: new URL('../../', import.meta.url),
    env: { ...process.env, FEISHU_SIM_PORT: '0', DINGTALK_SIM_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  })
  t.teardown(() => {
    child.kill('SIGTERM')
  })
  // The kernel schedules each session's autogroup as one: the process's own nice alone would not lift it.
  await writeFile(`/proc/${child.pid}/autogroup`, String(SHIELDED_NICE)).catch(() => {})
  let output = ''
  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulators did not start:\n${output}`)), 20_000)
    child.stdout?.on('data', (chunk) => {
      output += chunk.toString()
      const found = [...output.matchAll(/simulator listening on (http:\/\/\S+)/g)].map(
        (match) => match[1] as string,
      )
      if (found.length === 2) {
        clearTimeout(timer)
        resolve(found)
      }
    })
  })
  const [feishuUrl, dingtalkUrl] =
    output.indexOf('Feishu') < output.indexOf('DingTalk') ? urls : [...urls].reverse()
  return {
    feishuUrl: feishuUrl as string,
    dingtalkUrl: dingtalkUrl as string,
    counters: async (url) => (await (await fetch(`${url}/__sim/counters`)).json()) as Counters,
    configure: async (url, patch) => {
      const response = await fetch(`${url}/__sim/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      })
      if (!response.ok) throw new Error(`configure failed: ${await response.text()}`)
    },
  }
}
