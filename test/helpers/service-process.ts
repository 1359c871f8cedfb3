// The real service (src/service/server.ts) in a process of its own, configured from the environment, optionally
// under a limit of open files (`ulimit -n`, set by the shell before it execs node): what an operator's
// process sees, resource limits and uncaught errors included.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Test } from 'tap'
import type { Simulators } from './integration.js'

export interface ServiceProcess {
  child: ChildProcess
  port: number
  /** Everything it wrote (stdout and stderr). */
  output: { text: string }
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  running(): boolean
}

const root = new URL('../../', import.meta.url)
const LISTENING = /Swagger UI at http:\/\/[^/]+:(\d+)\/docs/

/** The environment that points the service at both simulators, without API keys. */
export function simulatorEnv(simulators: Simulators): Record<string, string> {
  return {
    AUTH_DISABLED: 'true',
    FEISHU_APP_ID: simulators.feishu.credentials.appId,
    FEISHU_APP_SECRET: simulators.feishu.credentials.appSecret,
    FEISHU_BASE_URL: simulators.feishu.url,
    DINGTALK_APP_KEY: simulators.dingtalk.credentials.appKey,
    DINGTALK_APP_SECRET: simulators.dingtalk.credentials.appSecret,
    DINGTALK_BASE_URL: simulators.dingtalk.url,
  }
}

export async function startServiceProcess(
  t: Test,
  env: Record<string, string>,
  options: { openFilesLimit?: number } = {},
): Promise<ServiceProcess> {
  const node = [process.execPath, '--import', 'tsx', 'src/service/server.ts']
  const [command, args] = options.openFilesLimit
    ? ['sh', ['-c', `ulimit -n ${options.openFilesLimit} && exec "$@"`, 'sh', ...node]]
    : [node[0] as string, node.slice(1)]
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }))
  const running = () => child.exitCode === null && child.signalCode === null
  t.teardown(() => {
    if (running()) child.kill('SIGKILL')
  })
  const output = { text: '' }
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start:\n${output.text}`)), 30_000)
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk) => {
        output.text += chunk.toString()
        const listening = LISTENING.exec(output.text)
        if (listening) {
          clearTimeout(timer)
          resolve(Number(listening[1]))
        }
      })
    }
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`the service exited (${code}) before it listened:\n${output.text}`))
    })
  })
  return { child, port, output, exited, running }
}
