// The `attendance` command as a user runs it: a child process on the repo's Node, with tsx for the
// TypeScript, stdin closed and stderr a pipe (so progress comes as plain lines, not a bar).
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const node = `${root}node_modules/.bin/node`
const entry = `${root}src/cli/attendance.ts`

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface StartedCli {
  child: ChildProcess
  /** Resolves once stderr holds a line matching `pattern`. */
  stderrLine(pattern: RegExp): Promise<string>
  done: Promise<CliRun>
}

/** The environment a test controls fully: no ATTENDANCE_* of the developer's shell leaks in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { ATTENDANCE_URL: _url, ATTENDANCE_API_KEY: _key, ...rest } = process.env
  return { ...rest, ...env }
}

export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const child = spawn(node, ['--import=tsx', entry, ...args], {
    cwd: options.cwd ?? root,
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    for (const waiter of [...waiters]) {
      const line = stderr.split('\n').find((candidate) => waiter.pattern.test(candidate))
      if (line === undefined) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  })
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  const started: StartedCli = {
    child,
    done,
    stderrLine: (pattern) =>
      new Promise((resolve, reject) => {
        const line = stderr.split('\n').find((candidate) => pattern.test(candidate))
        if (line !== undefined) return resolve(line)
        waiters.push({ pattern, resolve })
        done.then((run) => reject(new Error(`exited ${run.code} before ${pattern}; stderr:\n${run.stderr}`)))
      }),
  }
  return started
}

export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  return startCli(args, options).done
}
