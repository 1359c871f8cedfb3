// SIGTERM on the real process (src/service/server.ts) with vendor calls in flight: the query in flight finishes
// and is answered whole, new connections are refused at once, and the process exits 0 within a bounded
// time; a second signal ends it at once.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import type { Test } from 'tap'
import t from 'tap'
import type { AttendanceResponse } from '../../src/schemas/attendance-query.js'
import type { DingTalkSimulatorOptions, FeishuSimulatorOptions } from '../../src/simulators/index.js'
import { recentRange, type Simulators, startSimulators, userList } from '../helpers/integration.js'
import { LOAD_SHEDDING_OFF_ENV } from '../helpers/load-shedding-off.js'
import { until } from './helpers.js'

const root = new URL('../../', import.meta.url)
// The server is configured from the environment, so its DingTalk source keeps the vendor's 180-day
// retention: the dates asked for are recent ones.
const eightWeeks = recentRange(56)
const oneWeek = recentRange(5)

// Each test starts a process of its own; starting them side by side saves most of the start-up time.
t.jobs = 3

interface Server {
  child: ChildProcess
  port: number
  output: { text: string }
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

async function startServer(
  t: Test,
  simulators: Simulators,
  env: Record<string, string> = {},
): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/service/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      ...LOAD_SHEDDING_OFF_ENV,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      AUTH_DISABLED: 'true',
      FEISHU_APP_ID: simulators.feishu.credentials.appId,
      FEISHU_APP_SECRET: simulators.feishu.credentials.appSecret,
      FEISHU_BASE_URL: simulators.feishu.url,
      DINGTALK_APP_KEY: simulators.dingtalk.credentials.appKey,
      DINGTALK_APP_SECRET: simulators.dingtalk.credentials.appSecret,
      DINGTALK_BASE_URL: simulators.dingtalk.url,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const output = { text: '' }
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk) => {
      output.text += chunk.toString()
    })
  }
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }))
  await until(
    () => /Swagger UI at http:\/\/[^/]+:\d+\/docs/.test(output.text) || child.exitCode !== null,
    'the server to start',
    30_000,
  )
  const port = Number(/Swagger UI at http:\/\/[^/]+:(\d+)\/docs/.exec(output.text)?.[1])
  if (!port) throw new Error(`the server did not start:\n${output.text}`)
  return { child, port, output, exited }
}

/** Whether a new TCP connection to the port is refused (nothing listens any more). */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

function query(port: number, users: string[], from: string, to: string) {
  return fetch(`http://127.0.0.1:${port}/attendance/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to, users }),
  })
}

async function simulatorsWith(
  t: Test,
  options: Partial<FeishuSimulatorOptions> & Partial<DingTalkSimulatorOptions>,
): Promise<Simulators> {
  return startSimulators(t, { feishu: options, dingtalk: options })
}

t.test(
  'SIGTERM during a long query: it is answered whole, new connections are refused, exit 0',
  async (t) => {
    const simulators = await simulatorsWith(t, { latencyMs: 400 })
    const server = await startServer(t, simulators)
    // Eight weeks: eight DingTalk blocks of four pages each, 400 ms a page, so about two seconds.
    const users = [...userList('feishu', 20), ...userList('dingtalk', 20)]
    const answering = query(server.port, users, eightWeeks.from, eightWeeks.to)
    await until(() => simulators.dingtalk.counters().dataCalls >= 8, 'the query to be under way')
    const signalledAt = Date.now()
    server.child.kill('SIGTERM')

    let answered = false
    const answer = answering.then(async (response) => {
      const body = (await response.json()) as AttendanceResponse
      answered = true
      return { status: response.status, body }
    })
    await until(() => refusesConnections(server.port), 'new connections to be refused', 10_000)
    t.notOk(answered, 'new connections were refused while the query was still running')
    t.ok(simulators.dingtalk.counters().dataCalls < 32, 'and while vendor calls were still to be made')

    const { status, body } = await answer
    t.equal(status, 200)
    t.equal(body.complete, true, 'the query in flight was answered whole')
    t.equal(body.results.length, 40 * 40, '40 users × 40 work days')
    t.same(
      body.sources.map((source) => [source.source, source.status, source.missing.length]),
      [
        ['dingtalk', 'ok', 0],
        ['feishu', 'ok', 0],
      ],
    )
    // A timer that does not keep this process alive once the test is over.
    const exit = await Promise.race([
      server.exited,
      new Promise<null>((resolve) => setTimeout(resolve, 20_000, null).unref()),
    ])
    t.ok(exit, 'the process exited')
    t.equal(exit?.code, 0, 'with code 0')
    t.ok(exit && exit.at - signalledAt < 20_000, `${exit ? exit.at - signalledAt : '?'} ms after SIGTERM`)
    t.match(server.output.text, /closing: finishing in-flight requests/)
  },
)

t.test('SIGTERM with a vendor that never answers: the query deadline bounds the shutdown', async (t) => {
  const simulators = await simulatorsWith(t, { hangRate: 1, hangMs: 120_000 })
  const server = await startServer(t, simulators, { QUERY_TIMEOUT_MS: '3000' })
  const answering = query(server.port, ['feishu:u1', 'dingtalk:d1'], oneWeek.from, oneWeek.to)
  await until(() => simulators.dingtalk.counters().injectedHangs >= 1, 'a vendor call to hang')
  const signalledAt = Date.now()
  server.child.kill('SIGTERM')
  const response = await answering
  const body = (await response.json()) as AttendanceResponse
  t.equal(response.status, 200)
  t.equal(body.complete, false)
  t.same(
    body.sources.map((source) => [source.source, source.status, source.error?.code]),
    [
      ['dingtalk', 'error', 'TIMEOUT'],
      ['feishu', 'error', 'TIMEOUT'],
    ],
    'the hanging sources are reported, not dropped',
  )
  const exit = await server.exited
  t.equal(exit.code, 0)
  t.ok(
    exit.at - signalledAt < 15_000,
    `exited ${exit.at - signalledAt} ms after SIGTERM (query deadline 3 s)`,
  )
})

t.test('a second signal while draining forces the exit', async (t) => {
  const simulators = await simulatorsWith(t, { hangRate: 1, hangMs: 120_000 })
  const server = await startServer(t, simulators)
  const answering = query(server.port, ['feishu:u1', 'dingtalk:d1'], oneWeek.from, oneWeek.to)
    .then((response) => response.text())
    .catch((error: unknown) => error)
  await until(() => simulators.dingtalk.counters().injectedHangs >= 1, 'a vendor call to hang')
  server.child.kill('SIGTERM')
  await until(
    () => server.output.text.includes('closing: finishing in-flight requests'),
    'the first signal to be handled',
  )
  const secondAt = Date.now()
  server.child.kill('SIGINT')
  const exit = await server.exited
  t.not(exit.code, 0, `exit code ${exit.code}: not a clean exit`)
  t.ok(exit.at - secondAt < 5000, `exited ${exit.at - secondAt} ms after the second signal`)
  t.type(await answering, Error, 'the hanging request is cut off, not answered')
})
