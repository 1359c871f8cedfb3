// The processes a benchmark runs: the simulators and service replicas, each in a process of its own so
// that each one's timing and memory are its own. All run from dist/ (npm run build), so no TypeScript
// loader sits in a measured process.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface Running {
  pid: number
  stop(): Promise<void>
}

export interface SimulatorsProcess extends Running {
  feishuUrl: string
  dingtalkUrl: string
  /** The process that serves each vendor (`pid` is DingTalk's). */
  feishuPid: number
  dingtalkPid: number
}

/** What a benchmark adds to the simulator processes: node options (a preload) and environment. */
export interface SimulatorOptions {
  nodeArgs?: string[]
  env?: Record<string, string>
  /**
   * Runs each simulator in a session of its own at this nice, the process (every thread) and its session's
   * autogroup both: a CPU-bound neighbour of the service then competes with the service rather than with
   * the processes that stand for the vendors' servers, which are not on the service's CPUs (the kernel
   * schedules each session's autogroup as one, so a process's own nice alone does not lift it above other
   * sessions). A negative nice needs root; without it the simulators run as they would otherwise.
   */
  shieldedNice?: number
}

export interface ServiceProcess extends Running {
  url: string
  /** Its pino log (one JSON line per request and per vendor call). */
  logPath: string
}

/**
 * The simulators, one process per vendor (each `cli.js` starts both; one vendor's is used from each), so
 * that one vendor's work never delays the other's arrival stamps: the Feishu simulator builds 50 users ×
 * 30 days of answer per call, and in a shared process that would hold up DingTalk's calls and make them
 * look bunched.
 */
export async function startSimulators(
  logDir: string,
  options: SimulatorOptions = {},
): Promise<SimulatorsProcess> {
  const started = await Promise.allSettled([
    simulatorProcess(logDir, options),
    simulatorProcess(logDir, options),
  ])
  const failure = started.find((result) => result.status === 'rejected')
  if (failure) {
    await Promise.all(
      started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    )
    throw failure.reason
  }
  const [forFeishu, forDingTalk] = started.map(
    (result) => (result as PromiseFulfilledResult<SimulatorsProcess>).value,
  ) as [SimulatorsProcess, SimulatorsProcess]
  return {
    pid: forDingTalk.pid,
    feishuUrl: forFeishu.feishuUrl,
    dingtalkUrl: forDingTalk.dingtalkUrl,
    feishuPid: forFeishu.pid,
    dingtalkPid: forDingTalk.pid,
    stop: async () => {
      await Promise.all([forFeishu.stop(), forDingTalk.stop()])
    },
  }
}

async function simulatorProcess(logDir: string, options: SimulatorOptions): Promise<SimulatorsProcess> {
  const args = [...(options.nodeArgs ?? []), join(ROOT, 'dist/simulators/cli.js')]
  const shielded = options.shieldedNice !== undefined
  const child = spawn(
    shielded ? 'nice' : process.execPath,
    shielded ? ['-n', String(options.shieldedNice), process.execPath, ...args] : args,
    {
      cwd: ROOT,
      detached: shielded,
      env: { ...process.env, ...options.env, FEISHU_SIM_PORT: '0', DINGTALK_SIM_PORT: '0' },
      stdio: ['ignore', 'pipe', openSync(join(logDir, 'simulators.err.log'), 'a')],
    },
  )
  if (shielded) await niceAutogroup(child.pid as number, options.shieldedNice as number)
  let output = ''
  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulators did not start:\n${output}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`the simulators exited (${code}):\n${output}`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const found = [...output.matchAll(/(Feishu|DingTalk) simulator listening on (http:\/\/\S+)/g)]
      if (found.length === 2) {
        clearTimeout(timer)
        resolve(
          found
            .sort((a, b) => (a[1] === 'Feishu' ? -1 : b[1] === 'Feishu' ? 1 : 0))
            .map((match) => match[2] ?? ''),
        )
      }
    })
  }).catch(async (error: unknown) => {
    await stopProcess(child)
    throw error
  })
  child.stdout?.resume()
  return {
    pid: child.pid as number,
    feishuUrl: urls[0] as string,
    dingtalkUrl: urls[1] as string,
    feishuPid: child.pid as number,
    dingtalkPid: child.pid as number,
    stop: () => stopProcess(child),
  }
}

/** Sets the nice of `pid`'s autogroup (/proc/<pid>/autogroup); ignored where there is none or no right to. */
async function niceAutogroup(pid: number, nice: number): Promise<void> {
  // spawn() returns once the child has exec'd, so it already is in its own session (setsid comes before).
  await writeFile(`/proc/${pid}/autogroup`, String(nice)).catch(() => {})
}

/** Starts `node dist/service/server.js` with `env` on a free loopback port and waits until /healthz answers. */
export function startService(
  env: Record<string, string>,
  logDir: string,
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  return startListening('service', [...nodeArgs, join(ROOT, 'dist/service/server.js')], env, logDir)
}

/**
 * Starts one of the benchmark's own baseline servers (a self-contained TypeScript file under bench/, run by
 * the same node with its built-in type stripping, no loader) as the service is started: its own process,
 * stdout (its log) to a file, a free loopback port in PORT, ready when GET /healthz answers.
 */
export function startBaseline(
  script: string,
  env: Record<string, string>,
  logDir: string,
): Promise<ServiceProcess> {
  const name = script.replace(/^.*\//, '').replace(/\.ts$/, '')
  return startListening(name, [join(ROOT, script)], env, logDir)
}

async function startListening(
  kind: string,
  args: string[],
  env: Record<string, string>,
  logDir: string,
): Promise<ServiceProcess> {
  const port = await freePort()
  const name = `${kind}-${port}`
  const logPath = join(logDir, `${name}.log`)
  const out = openSync(logPath, 'a')
  const errPath = join(logDir, `${name}.err.log`)
  const err = openSync(errPath, 'a')
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, err],
  })
  closeSync(out)
  closeSync(err)
  const url = `http://127.0.0.1:${port}`
  let exited: number | null | undefined
  child.once('exit', (code) => {
    exited = code
  })
  const giveUp = Date.now() + 30_000
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`the ${kind} exited (${exited}) before it was ready:\n${readFileSync(errPath, 'utf8')}`)
    }
    if (Date.now() > giveUp) {
      await stopProcess(child)
      throw new Error(`the ${kind} did not answer /healthz within 30 s:\n${readFileSync(errPath, 'utf8')}`)
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { pid: child.pid as number, url, logPath, stop: () => stopProcess(child) }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
