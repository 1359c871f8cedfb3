// A CPU-bound neighbour: one child process per core, each spinning in a busy loop at the default nice, as
// another engineer's test run or a build would. Started before the measured query and killed after it, so
// that the service, the simulators and Redis compete with it for every core.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import os from 'node:os'

export interface CpuHog {
  pids: number[]
  stop(): Promise<void>
}

const SPIN = 'for (;;) {}'

export async function startCpuHog(processes = os.availableParallelism()): Promise<CpuHog> {
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }),
  )
  await Promise.all(children.map((child) => once(child, 'spawn')))
  // Node takes some tens of ms to reach the loop: wait until every child burns CPU, so that the query
  // starts against a machine that is already full.
  await Promise.all(children.map((child) => spinning(child.pid as number)))
  return {
    pids: children.map((child) => child.pid as number),
    stop: async () => {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = once(child, 'exit')
          child.kill('SIGKILL')
          await exited
        }),
      )
    },
  }
}

/** Resolves once `pid` has used 50 ms of CPU (utime + stime in /proc/<pid>/stat), or after 2 s. */
async function spinning(pid: number): Promise<void> {
  const ticksPerSecond = 100
  const giveUp = Date.now() + 2000
  while (Date.now() < giveUp) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuTicks = Number(fields[11]) + Number(fields[12])
    if (cpuTicks / ticksPerSecond >= 0.05) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
